"""Counties, townships and communities/villages with their household counts (rules-free)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config.world import Lognormal, WorldSpec
from sim.world.codes import community_code, township_code


@dataclass
class Hierarchy:
    """Units above the grid, as columns."""

    county_code: np.ndarray
    county_kind: np.ndarray
    township_code: np.ndarray
    township_county: np.ndarray
    township_urban: np.ndarray
    community_code: np.ndarray
    community_township: np.ndarray
    community_urban: np.ndarray
    community_households: np.ndarray


def _lognormal_sizes(rng: np.random.Generator, spec: Lognormal, n: int) -> np.ndarray:
    sizes = rng.lognormal(np.log(spec.median), spec.sigma, n)
    return np.clip(np.rint(sizes), spec.min, spec.max).astype(np.int32)


def build_hierarchy(spec: WorldSpec, rng: np.random.Generator) -> Hierarchy:
    """Draw counties, townships and communities (sizes) from the world spec."""
    county_code, county_kind = [], []
    tw_code, tw_county, tw_urban = [], [], []
    for group in spec.counties:
        for _ in range(group.count):
            c = len(county_code)
            county_code.append(f"{spec.city_code}{c + 1:02d}")
            county_kind.append(group.kind)
            for urban, n in ((True, group.urban_townships), (False, group.rural_townships)):
                for t in range(n):
                    tw_code.append(township_code(spec.city_code, c + 1, t, urban))
                    tw_county.append(c)
                    tw_urban.append(urban)
    tw_urban_a = np.array(tw_urban, dtype=bool)
    per_urban = spec.communities_per_urban_township
    per_rural = spec.villages_per_rural_township
    counts = np.where(
        tw_urban_a,
        rng.integers(per_urban.min, per_urban.max + 1, len(tw_code)),
        rng.integers(per_rural.min, per_rural.max + 1, len(tw_code)),
    )
    community_township = np.repeat(np.arange(len(tw_code), dtype=np.int32), counts)
    community_urban = tw_urban_a[community_township]
    seq = np.arange(len(community_township)) - np.repeat(np.cumsum(counts) - counts, counts)
    community_codes = np.array(
        [community_code(tw_code[t], int(s), bool(u))
         for t, s, u in zip(community_township, seq, community_urban, strict=True)],
        dtype=object,
    )
    urban_sizes = _lognormal_sizes(rng, spec.urban_community_households, len(community_township))
    rural_sizes = _lognormal_sizes(rng, spec.rural_village_households, len(community_township))
    households = np.where(community_urban, urban_sizes, rural_sizes).astype(np.int32)
    return Hierarchy(
        county_code=np.array(county_code, dtype=object),
        county_kind=np.array(county_kind, dtype=object),
        township_code=np.array(tw_code, dtype=object),
        township_county=np.array(tw_county, dtype=np.int32),
        township_urban=tw_urban_a,
        community_code=community_codes,
        community_township=community_township,
        community_urban=community_urban,
        community_households=households,
    )
