"""Deadlines: set by the assigner from the rules, on the working-hours clock of the grid.

The clock runs through waiting and service alike. Every step (acceptance, each centre's
dispatch, handling, verification) has a deadline; a step done after it is late, and so is a
step still undone at the end of the run once its deadline has passed. A handling deadline, or
the case's own limit from report to close (办结时限) where the rules set one, that passes
before the work is done yields a written explanation where the rules demand one
(002 第十九条) and supervision (督办) that climbs from yellow to red as lateness grows, in
working time on the deadline's own clock. Nothing in the run depends on supervision, so its
levels are settled when the handling ends (or at the end of the run), with the times they
began, rather than watched by events.
"""

from __future__ import annotations

import math

from sim.config.rules import Rules
from sim.model.arrivals.poisson import DIFFICULTIES, URGENCIES
from sim.model.clock import ALWAYS, Calendar, Holidays, calendar


class DeadlinePolicy:
    """Deadline arithmetic for one jurisdiction (tables built once: ``due`` is on the hot
    path)."""

    def __init__(self, rules: Rules, holidays: Holidays | None = None) -> None:
        d = rules.deadlines
        self.rules = rules
        self.urban = calendar(d.clock_urban.start_hour, d.clock_urban.end_hour,
                              tuple(d.clock_urban.workdays),
                              holidays if d.clock_urban.observes_holidays else None)
        self.rural = calendar(d.clock_rural.start_hour, d.clock_rural.end_hour,
                              tuple(d.clock_rural.workdays),
                              holidays if d.clock_rural.observes_holidays else None)
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

    def case_limit(self, t: float, urban: bool, urgency: str) -> float:
        """When a case reported at ``t`` must be closed (办结时限), or NaN where the rules set
        no limit from report to close."""
        hours = self.rules.deadlines.case_limit_hours.get(urgency)
        return self.clock(urban, urgency).add(t, hours) if hours else math.nan

    def levels(self, assigned: float, due: float, clock: Calendar
               ) -> tuple[tuple[int, float], tuple[int, float]]:
        """Supervision levels and when each starts for work assigned at ``assigned`` and due
        at ``due`` on ``clock``: yellow once lateness passes ``yellow_after`` × the working
        time allowed, red once it passes ``red_after`` × it, both in working time."""
        sup = self.rules.deadlines.supervision
        allowed = max(clock.worked(due) - clock.worked(assigned), 0.0)

        def after(share: float) -> float:
            # a miss is a miss at once: no offset means the deadline itself, even when it
            # falls at a closing time
            return clock.add(due, share * allowed) if share > 0 else due

        return (1, after(sup.yellow_after)), (2, after(sup.red_after))
