"""Cut communities into comprehensive grids by the rules, and place exclusive grids."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config.rules import HouseholdRange, Rules
from sim.config.world import WorldSpec
from sim.world.codes import EXCLUSIVE_KINDS, KIND_EXCLUSIVE, KIND_RURAL, KIND_URBAN, grid_code
from sim.world.hierarchy import Hierarchy


@dataclass
class Grids:
    """Grids as columns; comprehensive grids first, in community order, then exclusive ones.

    ``unit_*`` are every exclusive unit drawn, whatever the rules, in (community, kind) order:
    its community, its kind (:data:`EXCLUSIVE_KINDS` index + 1, as in grid codes) and its
    exclusive grid's row, or -1 where the rules give its kind no exclusive grid.
    """

    code: np.ndarray
    community: np.ndarray
    kind: np.ndarray
    subkind: np.ndarray
    households: np.ndarray
    unrecognised_exclusive: dict[str, int]
    unit_community: np.ndarray
    unit_subkind: np.ndarray
    unit_grid: np.ndarray


def grids_per_unit(households: np.ndarray, rng_rule: HouseholdRange) -> np.ndarray:
    """How many grids each community/village of ``households`` is cut into.

    Aim at the target size, within ``[min, max]`` where some count fits; where none does (a
    unit between two feasible totals), take the fewest grids that respect the maximum so the
    compliance check reports it rather than the generator hiding it.
    """
    h = households.astype(np.int64)
    n_lo = np.maximum(1, -(-h // rng_rule.households_max))
    n = np.maximum(1, np.rint(h / rng_rule.households_target).astype(np.int64))
    if rng_rule.households_min:
        n_hi = np.maximum(1, h // rng_rule.households_min)
        n = np.minimum(n, n_hi)
    return np.maximum(n, n_lo)


def split_evenly(total: np.ndarray, parts: np.ndarray) -> np.ndarray:
    """Sizes of ``parts[i]`` near-equal pieces of ``total[i]``, concatenated."""
    owner = np.repeat(np.arange(len(total)), parts)
    index = np.arange(owner.shape[0]) - np.repeat(np.cumsum(parts) - parts, parts)
    base, extra = total[owner] // parts[owner], total[owner] % parts[owner]
    return (base + (index < extra)).astype(np.int32)


def cut_grids(h: Hierarchy, spec: WorldSpec, rules: Rules, rng: np.random.Generator) -> Grids:
    """Comprehensive grids per community by the rules; exclusive grids per township by kind."""
    urban = h.community_urban
    n = np.where(
        urban,
        grids_per_unit(h.community_households, rules.grids.urban),
        grids_per_unit(h.community_households, rules.grids.rural),
    )
    community = np.repeat(np.arange(len(n), dtype=np.int32), n)
    households = split_evenly(h.community_households.astype(np.int64), n)
    seq = np.arange(community.shape[0]) - np.repeat(np.cumsum(n) - n, n) + 1
    kind = np.where(urban[community], KIND_URBAN, KIND_RURAL).astype(np.int8)
    codes = [grid_code(h.community_code[c], int(k), 0, int(s))
             for c, k, s in zip(community, kind, seq, strict=True)]

    # Exclusive units exist in the world whatever the rules; the rules decide which get a grid.
    allowed = set(rules.grids.exclusive.kinds)
    unit_comm, unit_sub, unrecognised = [], [], {}
    n_tw = len(h.township_code)
    first = np.searchsorted(h.community_township, np.arange(n_tw))
    last = np.searchsorted(h.community_township, np.arange(n_tw), side="right")
    for sub, kind_name in enumerate(EXCLUSIVE_KINDS, start=1):
        mean = spec.exclusive_per_township.get(kind_name, 0.0)  # type: ignore[call-overload]
        counts = rng.poisson(mean, n_tw)
        picks = rng.integers(first.repeat(counts), last.repeat(counts))
        unit_comm.append(picks)
        unit_sub.append(np.full(picks.shape[0], sub, dtype=np.int8))
        if kind_name not in allowed and picks.size:
            unrecognised[kind_name] = int(picks.size)
    unit_community = np.concatenate(unit_comm).astype(np.int32)
    unit_subkind = np.concatenate(unit_sub)
    # stable: a rule set's exclusive grids keep the order they would have among themselves
    order = np.lexsort((unit_subkind, unit_community))
    unit_community, unit_subkind = unit_community[order], unit_subkind[order]
    has_grid = np.isin(unit_subkind, [EXCLUSIVE_KINDS.index(k) + 1 for k in allowed])
    unit_grid = np.full(unit_community.shape[0], -1, np.int32)
    unit_grid[has_grid] = community.shape[0] + np.arange(np.count_nonzero(has_grid))
    ex_community, ex_subkind = unit_community[has_grid], unit_subkind[has_grid]
    ex_seq = _sequence_within(ex_community.astype(np.int64) * 100 + ex_subkind)
    codes += [grid_code(h.community_code[c], KIND_EXCLUSIVE, int(s), int(q))
              for c, s, q in zip(ex_community, ex_subkind, ex_seq, strict=True)]
    return Grids(
        code=np.array(codes, dtype=object),
        community=np.concatenate([community, ex_community]),
        kind=np.concatenate([kind, np.full(ex_community.shape[0], KIND_EXCLUSIVE, np.int8)]),
        subkind=np.concatenate([np.zeros(community.shape[0], np.int8), ex_subkind]),
        households=np.concatenate([households, np.zeros(ex_community.shape[0], np.int32)]),
        unrecognised_exclusive=unrecognised,
        unit_community=unit_community, unit_subkind=unit_subkind, unit_grid=unit_grid,
    )


def _sequence_within(keys: np.ndarray) -> np.ndarray:
    """1-based position of each row within its run of equal (sorted) keys."""
    if keys.size == 0:
        return keys
    starts = np.r_[0, np.flatnonzero(np.diff(keys)) + 1]
    lengths = np.diff(np.r_[starts, keys.size])
    return np.arange(keys.size) - np.repeat(starts, lengths) + 1
