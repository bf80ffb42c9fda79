"""Misses and what they bring: late steps, overdue handling, written explanations (002
第十九条) and supervision (督办, yellow then red), settled on the case table.

A handling deadline (the worker's, or the handler's the assigning centre set) or the case's
limit from report to close (办结时限) is missed when the work ends after it, or when the run
ends with the work undone past it (censored, but late whatever happens next). Supervision
levels start at working-time offsets after the deadline on its own clock
(:meth:`~sim.model.deadline.DeadlinePolicy.levels`), so the same deadline gets its cards at
the same working-time distances whenever it was set. Every other step's lateness (acceptance,
each centre's dispatch, each verification) is a flag on the case (``late_<step>``).
"""

from __future__ import annotations

from math import isnan
from typing import TYPE_CHECKING

import numpy as np

from sim.model.arrivals.poisson import URGENCIES

if TYPE_CHECKING:
    from sim.model.engine import Model

LEVEL_NAMES = ("", "yellow", "red")


class Supervision:
    """Settles the misses of one run's cases."""

    def __init__(self, m: Model) -> None:
        self.m = m
        self.explain = m.rules.deadlines.overdue_written_explanation
        self.supervise = m.rules.deadlines.supervision.enabled

    def handling(self, i: int, until: float) -> None:
        """Case ``i``'s current handling (due ``handle_due``, set at ``handle_assigned``) ended
        at ``until``, or is still undone then."""
        c = self.m.cases
        self._settle(i, c.handle_assigned, c.handle_due, c.late_handle, until)

    def case_limit(self, i: int, until: float) -> None:
        """Case ``i`` closed at ``until`` (or is still open then) against its limit from
        report to close, where the rules set one."""
        c = self.m.cases
        self._settle(i, c.reported, c.close_due, c.late_close, until)

    def _settle(self, i: int, assigned: np.ndarray, due: np.ndarray, late: np.ndarray,
                until: float) -> None:
        d = due.item(i)
        if isnan(d):
            return
        if until > d:
            late[i] = True
        self._miss(i, assigned.item(i), d, until, self.m.cases.handler[i] or "grid")

    def _miss(self, i: int, assigned: float, due: float, until: float, holder: str) -> None:
        """Overdue (with its explanation, at the deadline) and each supervision level that
        began before ``until``."""
        if until <= due:
            return
        m, c = self.m, self.m.cases
        c.overdue[i] = True
        if self.explain and isnan(c.explained.item(i)):
            # the holder explains once the deadline passed and it holds the case: a grid
            # worker from when he takes it up (a case still waiting for him: not yet)
            at = max(due, c.accepted.item(i)) if holder == "grid" else due
            if not isnan(at):
                c.explained[i] = at
                m.emit("case.explain_overdue", i, at=at, deadline=due,
                       actor="worker" if holder == "grid" else holder)
        if not self.supervise:
            return
        urban = m.grid_urban.item(m.arrivals.grid.item(i))
        clock = m.deadlines.clock(urban, URGENCIES[m.arrivals.urgency.item(i)])
        for level, t in m.deadlines.levels(assigned, due, clock):
            if t >= until:
                return
            if c.supervision.item(i) < level:
                c.supervision[i] = level
                m.emit("case.supervise", i, level=LEVEL_NAMES[level], at=t, deadline=due,
                       actor=m.centres.overseer(holder))

    def at_end(self, horizon: float) -> None:
        """The run ends: every reported case's undone step past its deadline is late, and
        its handling and case limit are settled as of now."""
        c = self.m.cases
        reported = np.isfinite(c.reported)
        for step, done, due in (("accept", c.accepted, c.accept_due),
                                ("dispatch", c.dispatch_done, c.dispatch_due),
                                ("verify", c.verified, c.verify_due)):
            late = getattr(c, f"late_{step}")
            late |= reported & np.isnan(done) & (due < horizon)
        open_handling = reported & np.isnan(c.handled) & (c.handle_due < horizon)
        for i in np.flatnonzero(open_handling).tolist():
            self.handling(i, horizon)
        for i in np.flatnonzero(reported & np.isnan(c.closed) & (c.close_due < horizon)).tolist():
            self.case_limit(i, horizon)
