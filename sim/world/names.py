"""Synthetic names, phones and addresses from Faker's zh_CN locale.

Faker is slow per call, so pools are drawn once per seed from its zh_CN word lists and numpy
draws from them; nothing here describes a real person.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from faker.providers.address.zh_CN import Provider as AddressProvider
from faker.providers.person.zh_CN import Provider as PersonProvider

POOL = 4000


@dataclass
class NamePool:
    """Pools of zh_CN person names, street names and place-name stems."""

    people: np.ndarray
    streets: np.ndarray
    stems: np.ndarray
    rng: np.random.Generator

    @classmethod
    def make(cls, seed: int) -> NamePool:
        """Fill pools deterministically from ``seed`` with Faker zh_CN's own word lists.

        Drawing from the provider's lists with numpy is what ``Faker.name()`` does, without
        its per-call cost (4,000 names took ~0.3 s that way).
        """
        rng = np.random.default_rng(seed)
        surnames = np.array(list(PersonProvider.last_names), dtype=object)
        weights = np.array(list(PersonProvider.last_names.values()), dtype=float)
        given = np.array(PersonProvider.first_names, dtype=object)
        family = rng.choice(surnames, POOL, p=weights / weights.sum())
        people = (family + rng.choice(given, POOL)).astype(object)
        cities = np.array([c for c in AddressProvider.cities], dtype=object)
        suffixes = np.array(AddressProvider.street_suffixes, dtype=object)
        streets = (np.where(rng.random(POOL // 8) < 0.5,
                            rng.choice(np.array([c[:2] for c in cities], dtype=object), POOL // 8),
                            rng.choice(surnames, POOL // 8))
                   + rng.choice(suffixes, POOL // 8)).astype(object)
        # place-name stems: two given-name characters make plausible 社区/村 names (华安, 兴民)
        chars = sorted({ch for name in given for ch in name})
        stems = np.unique(np.char.add(rng.choice(chars, POOL), rng.choice(chars, POOL)))
        stems = rng.permutation(stems).astype(object)
        return cls(people, streets, stems, rng)

    def names(self, n: int) -> np.ndarray:
        """``n`` person names."""
        return self.people[self.rng.integers(0, self.people.shape[0], n)]

    def phones(self, n: int) -> np.ndarray:
        """``n`` mainland mobile numbers (synthetic)."""
        prefix = np.array(["139", "138", "137", "136", "135", "188", "187", "186", "159", "158",
                           "152", "151", "150", "133", "153", "180", "189", "177", "176", "199"])
        head = prefix[self.rng.integers(0, prefix.shape[0], n)]
        tail = self.rng.integers(0, 100_000_000, n)
        return np.char.add(head, np.char.zfill(tail.astype(str), 8)).astype(object)

    def place(self, n: int, suffix: str) -> np.ndarray:
        """``n`` place names like ``"华安社区"``, unique while the pool lasts."""
        stems = self.stems[self.rng.permutation(self.stems.shape[0])]
        base = np.resize(stems, n).astype(str)
        rounds = np.arange(n) // self.stems.shape[0]
        extra = np.where(rounds > 0, np.char.add("第", (rounds + 1).astype(str)), "")
        return np.char.add(np.char.add(base, extra.astype(str)), suffix).astype(object)

    def addresses(self, community_names: np.ndarray, urban: np.ndarray) -> np.ndarray:
        """Standard addresses inside each row's community/village."""
        n = community_names.shape[0]
        street = self.streets[self.rng.integers(0, self.streets.shape[0], n)].astype(str)
        no = self.rng.integers(1, 300, n).astype(str)
        bld = self.rng.integers(1, 40, n).astype(str)
        room = (self.rng.integers(1, 30, n) * 100 + self.rng.integers(1, 5, n)).astype(str)
        urban_addr = np.char.add(np.char.add(np.char.add(np.char.add(
            np.char.add(street, no), "号"), bld), "栋"), np.char.add(room, "室"))
        rural_addr = np.char.add(np.char.add("第", self.rng.integers(1, 12, n).astype(str)),
                                 np.char.add("组", np.char.add(no, "号")))
        tail = np.where(urban, urban_addr, rural_addr)
        return np.char.add(community_names.astype(str), tail).astype(object)
