"""Declared surges: a factor on tagged case types in named townships for a time window."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.config.workload import Surge


class Surges:
    """The workload's surges resolved against its types (by tag) and a world's townships."""

    def __init__(self, surges: list[Surge], type_tags: Sequence[str | None],
                 township_code: np.ndarray) -> None:
        self.surges = surges
        self.types = [np.array([tag == s.tag for tag in type_tags]) for s in surges]
        self.townships = [np.isin(township_code, s.townships) if s.townships
                          else np.ones(township_code.shape[0], bool) for s in surges]
        # upper bound of each type's multiplier (for thinning): every surge at once
        self.bound = np.ones(len(type_tags))
        for s, hit in zip(surges, self.types, strict=True):
            self.bound[hit] *= max(s.factor, 1.0)

    def factor(self, kind: np.ndarray, t: np.ndarray, township: np.ndarray) -> np.ndarray:
        """Multiplier for problems of types ``kind`` at times ``t`` (hours) in townships
        ``township`` (rows), one per problem."""
        out = np.ones(t.shape[0])
        for s, types, townships in zip(self.surges, self.types, self.townships, strict=True):
            hit = types[kind] & (t >= s.start_day * 24) & (t < (s.start_day + s.days) * 24)
            hit &= townships[township]
            out[hit] *= s.factor
        return out
