"""Deadlines: set by the assigner from the rules, on the working-hours clock of the grid.

The clock runs through waiting and service alike. A handling deadline that passes before the
work is done yields a written explanation where the rules demand one (002 第十九条) and
supervision (督办) that climbs from yellow to red as lateness grows.
"""

from __future__ import annotations

from collections.abc import Callable
from math import isnan

import numpy as np
import simpy

from sim.config.rules import Rules
from sim.model.arrivals.poisson import DIFFICULTIES, URGENCIES
from sim.model.clock import ALWAYS, Calendar, calendar

STEPS = ("accept", "dispatch", "handle", "verify")


class DeadlinePolicy:
    """Deadline arithmetic for one jurisdiction (tables built once: ``due`` is on the hot
    path)."""

    def __init__(self, rules: Rules) -> None:
        d = rules.deadlines
        self.rules = rules
        self.urban = calendar(d.clock_urban.start_hour, d.clock_urban.end_hour,
                              tuple(d.clock_urban.workdays))
        self.rural = calendar(d.clock_rural.start_hour, d.clock_rural.end_hour,
                              tuple(d.clock_rural.workdays))
        s = d.steps
        self._hours: dict[tuple[str, str, bool], float] = {}
        for urgency in URGENCIES:
            for urban in (True, False):
                self._hours["accept", urgency, urban] = s.accept_hours.get(
                    urgency, s.accept_hours["routine"])
                self._hours["dispatch", urgency, urban] = s.dispatch_hours.get(
                    urgency, s.dispatch_hours["routine"])
                self._hours["verify", urgency, urban] = (
                    s.verify_hours_urban if urban else s.verify_hours_rural)
        self._handle_factor = {
            (difficulty, urgency): d.difficulty_factor.get(difficulty, 1.0)
            * d.urgency_factor.get(urgency, 1.0)
            for difficulty in DIFFICULTIES for urgency in URGENCIES}

    def clock(self, urban: bool, urgency: str) -> Calendar:
        """Emergencies run on the 24-hour clock; everything else on working hours."""
        if urgency == "emergency":
            return ALWAYS
        return self.urban if urban else self.rural

    def due(self, step: str, t: float, urban: bool, urgency: str, difficulty: str,
            handle_hours: float) -> float:
        """When a step assigned at ``t`` is due (``handle_hours``: the case type's time for
        handling, scaled by difficulty and urgency)."""
        if step == "handle":
            hours = handle_hours * self._handle_factor[difficulty, urgency]
        else:
            hours = self._hours[step, urgency, urban]
        return self.clock(urban, urgency).add(t, hours)

    def watch(self, env: simpy.Environment, assigned: float, due: float, done_at: np.ndarray,
              row: int, on_level: Callable[[int, float], None]) -> None:
        """Call ``on_level(1, t)`` at the deadline (yellow) and ``on_level(2, t)`` once lateness
        passes ``red_after`` × the time allowed (red), unless ``done_at[row]`` is set by then.
        """
        sup = self.rules.deadlines.supervision
        allowed = max(due - assigned, 0.0)
        _Watch(env, done_at, row, on_level,
               ((1, due + sup.yellow_after * allowed), (2, due + sup.red_after * allowed)))


class _Watch:
    """Bare timeouts with a bound-method callback, not a process: one event per level, and
    the next level is armed only if the case is still late (on-time cases cost one). No
    reference cycle, so finished watches are freed at once."""

    __slots__ = ("done_at", "env", "k", "levels", "on_level", "row")

    def __init__(self, env: simpy.Environment, done_at: np.ndarray, row: int,
                 on_level: Callable[[int, float], None],
                 levels: tuple[tuple[int, float], ...]) -> None:
        self.env, self.done_at, self.row = env, done_at, row
        self.on_level, self.levels, self.k = on_level, levels, 0
        self._arm()

    def _arm(self) -> None:
        at = self.levels[self.k][1]
        self.env.timeout(max(at - self.env.now, 0.0)).callbacks.append(self._fire)

    def _fire(self, _ev: simpy.Event) -> None:
        if not isnan(self.done_at.item(self.row)):  # done in time for this level
            return
        level, at = self.levels[self.k]
        self.on_level(level, at)
        self.k += 1
        if self.k < len(self.levels):
            self._arm()
