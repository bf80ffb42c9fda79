"""Households as numpy rows: size and special-household flags (rules-free)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config.world import Population
from sim.world.tables import SPECIAL_KINDS


@dataclass
class Households:
    """One row per household, in community order."""

    size: np.ndarray
    flags: np.ndarray


def draw_households(n: int, pop: Population, rng: np.random.Generator) -> Households:
    """Draw sizes from the size distribution and flag special households at their rates.

    Elderly people living alone are drawn among one-person households, so their rate is divided
    by P(size = 1) there (and capped at 1).
    """
    probs = np.asarray(pop.household_size_probs)
    size = (rng.choice(len(probs), size=n, p=probs) + 1).astype(np.int8)
    flags = np.zeros(n, dtype=np.uint8)
    for bit, kind in enumerate(SPECIAL_KINDS):
        rate = pop.special_rates.get(kind, 0.0)  # type: ignore[call-overload]
        u = rng.random(n, dtype=np.float32)
        if kind == "elderly_alone":
            hit = (size == 1) & (u < min(1.0, rate / max(probs[0], 1e-12)))
        else:
            hit = u < rate
        flags |= hit.astype(np.uint8) << np.uint8(bit)
    return Households(size=size, flags=flags)
