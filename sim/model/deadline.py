"""Deadlines: set by the assigner from the rules, on the working-hours clock of the grid.

The clock runs through waiting and service alike. A handling deadline that passes before the
work is done yields a written explanation where the rules demand one (002 第十九条) and
supervision (督办) that climbs from yellow to red as lateness grows.
"""

from __future__ import annotations

from collections.abc import Callable

import simpy

from sim.config.rules import Rules
from sim.model.clock import ALWAYS, Calendar, calendar

STEPS = ("accept", "dispatch", "handle", "verify")


class DeadlinePolicy:
    """Deadline arithmetic for one jurisdiction."""

    def __init__(self, rules: Rules) -> None:
        d = rules.deadlines
        self.rules = rules
        self.urban = calendar(d.clock_urban.start_hour, d.clock_urban.end_hour,
                              tuple(d.clock_urban.workdays))
        self.rural = calendar(d.clock_rural.start_hour, d.clock_rural.end_hour,
                              tuple(d.clock_rural.workdays))

    def clock(self, urban: bool, urgency: str) -> Calendar:
        """Emergencies run on the 24-hour clock; everything else on working hours."""
        if urgency == "emergency":
            return ALWAYS
        return self.urban if urban else self.rural

    def due(self, step: str, t: float, urban: bool, urgency: str, difficulty: str,
            handle_hours: float) -> float:
        """When a step assigned at ``t`` is due."""
        d = self.rules.deadlines
        if step == "accept":
            hours = d.steps.accept_hours.get(urgency, d.steps.accept_hours["routine"])
        elif step == "dispatch":
            hours = d.steps.dispatch_hours.get(urgency, d.steps.dispatch_hours["routine"])
        elif step == "verify":
            hours = d.steps.verify_hours_urban if urban else d.steps.verify_hours_rural
        else:
            hours = (handle_hours * d.difficulty_factor.get(difficulty, 1.0)
                     * d.urgency_factor.get(urgency, 1.0))
        return self.clock(urban, urgency).add(t, hours)

    def watch(self, env: simpy.Environment, assigned: float, due: float,
              done: Callable[[], bool], on_level: Callable[[int, float], None]) -> None:
        """Call ``on_level(1, t)`` at the deadline (yellow) and ``on_level(2, t)`` once lateness
        passes ``red_after`` × the time allowed (red), unless ``done()`` by then.

        Uses bare timeouts with callbacks, not processes: one event per level.
        """
        sup = self.rules.deadlines.supervision
        allowed = max(due - assigned, 0.0)
        levels = [(1, due + sup.yellow_after * allowed), (2, due + sup.red_after * allowed)]

        def arm(k: int) -> None:
            # the next level is armed only if the case is still late: on-time cases cost one
            level, at = levels[k]
            ev = env.timeout(max(at - env.now, 0.0))
            ev.callbacks.append(lambda _ev: fire(k, level, at))

        def fire(k: int, level: int, at: float) -> None:
            if done():
                return
            on_level(level, at)
            if k + 1 < len(levels):
                arm(k + 1)

        arm(0)
