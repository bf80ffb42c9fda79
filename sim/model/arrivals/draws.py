"""Every random number a case needs, drawn with its arrival from that day's generator.

Each case gets the same count of numbers whatever its type (five uniforms, two standard
normals, two standard exponentials), transformed by its type's laws: a case keeps its numbers
when the rules, the staffing or the run length change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import log_ndtr

from sim.config.workload import CaseType, Duration, StepTimes


@dataclass
class Draws:
    """The per-case random numbers, one row per case (aligned with ``Arrivals``)."""

    u_self: np.ndarray  # U(0,1): the worker resolves it on the spot if below the type's share
    u_multi: np.ndarray  # U(0,1): needs several departments if below the type's share
    u_feedback: np.ndarray  # U(0,1): the requester is called back if below the feedback rate
    u_rework: np.ndarray  # (n, 2) U(0,1): verification attempt k fails if below the rework share
    worker_hours: np.ndarray  # the grid worker's first handling
    handle_hours: np.ndarray  # handling at the resolving unit
    report_delay: np.ndarray  # hours before a resident reports a problem no patrol found
    discovery_effort: np.ndarray  # Exp(1): patrol effort it takes to find the problem

    def __len__(self) -> int:
        return int(self.u_self.shape[0])


class _DurationLaw:
    """One duration per type (``min`` + a lognormal or exponential part with the given mean),
    as a function of a standard normal per case."""

    def __init__(self, specs: Sequence[Duration], scale: float) -> None:
        self.lo = np.array([d.min for d in specs]) * scale
        self.part = np.maximum(np.array([d.mean for d in specs]) * scale - self.lo, 1e-9)
        sigma2 = np.log1p(np.array([d.cv for d in specs]) ** 2)
        self.sigma, self.mu = np.sqrt(sigma2), np.log(self.part) - sigma2 / 2
        self.exponential = np.array([d.dist == "exponential" for d in specs])

    def __call__(self, kind: np.ndarray, z: np.ndarray) -> np.ndarray:
        out = np.exp(self.mu[kind] + self.sigma[kind] * z)
        expo = np.flatnonzero(self.exponential[kind])
        if expo.size:
            # the same normal as an Exp(1): -ln(1 - Φ(z)) = -ln Φ(-z), exact in the tails
            out[expo] = self.part[kind[expo]] * -log_ndtr(-z[expo])
        return self.lo[kind] + out


class CaseDraws:
    """Draws cases' numbers for a workload's types (in sorted key order) and step times."""

    def __init__(self, types: Sequence[CaseType], steps: StepTimes) -> None:
        self.worker = _DurationLaw([t.worker_minutes for t in types], 1 / 60)
        self.handling = _DurationLaw([t.handling_hours for t in types], 1.0)
        self.report_hours = steps.resident_report_hours

    def draw(self, rng: np.random.Generator, kind: np.ndarray) -> Draws:
        """The numbers of cases of types ``kind``, in that order."""
        n = kind.shape[0]
        u = rng.random((3, n))
        rework = rng.random((n, 2))
        z = rng.standard_normal((2, n))
        e = rng.standard_exponential((2, n))
        return Draws(
            u_self=u[0], u_multi=u[1], u_feedback=u[2], u_rework=rework,
            worker_hours=self.worker(kind, z[0]), handle_hours=self.handling(kind, z[1]),
            report_delay=e[0] * self.report_hours, discovery_effort=e[1])


def patrol_effort(types: Sequence[CaseType]) -> list[float]:
    """Effort one patrol puts into finding a latent problem of each type, ``-ln(1 - p)``.

    Against an Exp(1) ``discovery_effort`` the patrols it takes are geometric in the type's
    ``patrol_discovery`` p: P(not found after n patrols) = exp(-n·(-ln(1 - p))) = (1 - p)^n.
    A type patrols always find costs inf; one they never find costs 0.
    """
    p = np.array([t.patrol_discovery for t in types])
    with np.errstate(divide="ignore"):
        return (-np.log1p(-p)).tolist()
