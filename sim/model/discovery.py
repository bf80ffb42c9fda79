"""Latent problems (隐患) and how patrols find them, by effort, at the moment they pass.

A problem only a patrol would notice waits, latent, until a patrol or sweep of its grid finds
it or a resident reports it (after an exponential delay). Finding follows the random-search
model (Koopman's detection law): each pass puts an effort on the problem proportional to the
patrol's minutes per household, ``rate_k × minutes / household``, and the problem is found on
the pass where its accumulated effort reaches its own Exp(1) threshold. The chance that one
pass finds it is then ``1 − exp(−rate_k × minutes per household)``: it rises with patrol time
and is the type's ``patrol_discovery`` at the workload's reference patrol intensity.

A round walks its grid's households in order: a problem at position ``x`` of the route
(its household's place in the grid, 0.5 for an exclusive unit) is passed when the round's
work reaches ``x`` of its hours, so a problem arising mid-round is passed only if the round
has not reached it yet, and is found at that moment, not when the round ends.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sim.model.resource import Job

if TYPE_CHECKING:
    from sim.model.engine import Model


class Segment:
    """A stretch of a round's work: from ``start`` until ``stop`` (or until cut short), at
    route positions from ``x0``, ``hours`` for the whole route."""

    __slots__ = ("ended", "hours", "passes", "start", "stop", "x0")

    def __init__(self, start: float, stop: float, x0: float, hours: float) -> None:
        self.start, self.stop, self.x0, self.hours = start, stop, x0, hours
        self.ended = math.inf
        self.passes: list[tuple[int, float]] = []

    def pass_time(self, x: float) -> float:
        """When the round reaches route position ``x`` (inf if not in this segment)."""
        if x < self.x0:
            return math.inf
        t = self.start + (x - self.x0) * self.hours
        return t if t < self.stop else math.inf


class Route:
    """One kind of round (patrol or sweep) of one grid, watching its pre-emptible jobs."""

    __slots__ = ("d", "g", "minutes_per_household")

    def __init__(self, d: Discovery, g: int, minutes_per_household: float) -> None:
        self.d, self.g, self.minutes_per_household = d, g, minutes_per_household

    def begin(self, job: Job, start: float, stop: float) -> None:
        """A segment of the round starts: note which latent problems it will pass."""
        x0 = 1.0 - (job.left / job.hours if job.hours > 0 else 0.0)
        seg = Segment(start, stop, x0, job.hours)
        self.d.active.setdefault(self.g, []).append((self, seg))
        for i in self.d.latent.get(self.g, ()):
            self.d.consider(self, seg, i)

    def end(self, job: Job, at: float) -> None:
        """The segment ends at ``at``: problems passed and not found carry their effort on."""
        segs = self.d.active.get(self.g, [])
        for k, (route, seg) in enumerate(segs):
            if route is self:
                del segs[k]
                self._settle(seg, at)
                return

    def _settle(self, seg: Segment, at: float) -> None:
        seg.ended = at
        d = self.d
        for i, t in seg.passes:
            if t <= at and i in d.latent_set:
                d.effort[i] += d.effort_of(i, self.minutes_per_household)


class Discovery:
    """Latent problems per grid, their accumulated effort and the rounds passing them."""

    def __init__(self, m: Model, position: np.ndarray, rate: np.ndarray,
                 threshold: np.ndarray) -> None:
        """``position``: route position per problem; ``rate``: effort per (minute per
        household) per type; ``threshold``: each problem's Exp(1) effort threshold."""
        self.m = m
        self.position = position.tolist()
        self.rate = rate.tolist()
        self.type = m.arrivals.type.tolist()
        self.threshold = threshold.tolist()
        self.effort = [0.0] * len(self.position)
        self.latent: dict[int, list[int]] = {}
        self.latent_set: set[int] = set()
        self.active: dict[int, list[tuple[Route, Segment]]] = {}
        self.found = 0

    def effort_of(self, i: int, minutes_per_household: float) -> float:
        """The effort one pass puts on problem ``i``."""
        return self.rate[self.type[i]] * minutes_per_household

    def arise(self, i: int, g: int, report_after: float) -> None:
        """Problem ``i`` arises latent in grid ``g``; a resident reports it after
        ``report_after`` hours unless a round finds it first."""
        self.latent.setdefault(g, []).append(i)
        self.latent_set.add(i)
        ev = self.m.env.timeout(report_after)
        ev.callbacks.append(lambda _e, i=i, g=g: self._reported(i, g))
        for route, seg in self.active.get(g, ()):
            self.consider(route, seg, i)

    def consider(self, route: Route, seg: Segment, i: int) -> None:
        """Note that ``seg`` will pass problem ``i`` (if it reaches it, after it arose) and
        schedule its finding if this pass brings its effort to the threshold."""
        t = seg.pass_time(self.position[i])
        now = self.m.env.now
        if t < now or t == math.inf:
            return
        seg.passes.append((i, t))
        # strictly: a type no patrol finds (no effort) stays latent even at a zero draw
        if self.effort[i] + self.effort_of(i, route.minutes_per_household) > self.threshold[i]:
            ev = self.m.env.timeout(t - now)
            ev.callbacks.append(lambda _e, i=i, g=route.g, seg=seg, t=t: self._pass(i, g, seg, t))

    def _pass(self, i: int, g: int, seg: Segment, t: float) -> None:
        if t > seg.ended or i not in self.latent_set:
            return  # the round was cut short before reaching it, or it was reported
        self._remove(i, g)
        self.found += 1
        self.m.found(i)

    def _reported(self, i: int, g: int) -> None:
        if i in self.latent_set:
            self._remove(i, g)
            self.m.reported_by_resident(i)

    def _remove(self, i: int, g: int) -> None:
        self.latent_set.discard(i)
        self.latent[g].remove(i)

    def route(self, g: int, hours: float, households: float) -> Route:
        """A round of ``hours`` over grid ``g``'s ``households`` (equivalent households for an
        exclusive grid)."""
        return Route(self, g, hours * 60.0 / max(households, 1.0))

