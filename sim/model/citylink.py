"""The shared city tier of a run split across processes (docs/model.md, "Partitions").

Counties are independent below the city tier; the city centre and the city departments serve
every county from one queue. A partitioned run simulates them once, in their own process (the
parent), and each partition hands the cases that climb to the city over to it, taking them back
for verification. The processes advance together in windows of simulated time (conservative
synchronisation): within a window a partition cannot be told anything by the city it does not
already know, because the city's answers (a case's city part done) come at the end of a job,
and a job that starts inside the window ends after it:

- at time ``T`` every city job that will end before ``W`` has already begun (its end is
  known), when ``W`` is no later than the earliest a job begun from ``T`` on can end: the
  shortest job that can end a case's city part, counted from the time the city can next start
  one (its next opening, at night or at a weekend);
- the city tells each partition the returns it will see before ``W``; the partitions run to
  ``W`` and send what reached the city (escalations, rework) with its times; the city runs to
  ``W`` with those; and so on. Nothing is rounded: the city's staff are its staff.

The city also sends each case's row of city columns once its city part is done (and, at the
end, those of the cases still there), so every partition's case table is whole.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy

from sim.model.resource import Job, next_start, takes_now

if TYPE_CHECKING:
    from sim.model.case import CaseRun
    from sim.model.engine import Model

# what a case's city part writes: taken as they are (times, handler), or merged
CITY_TIMES = ("dispatch_due", "dispatch_done", "dispatched", "handle_due", "handle_assigned",
              "handle_start", "handled", "feedback")
CITY_FLAGS = ("late_dispatch", "late_handle", "overdue")


def shortest_last_job(m: Model) -> float:
    """The shortest job that can end a case's city part, in working hours: its feedback, or
    its handling or rework where no feedback follows (from the run's own draws)."""
    steps = m.steps
    handling = float(m.draw.handle_hours.min()) if len(m.draw) else math.inf
    return min(steps.feedback_minutes / 60,
               handling * min(1.0, steps.hard_factor) * min(1.0, steps.rework_factor))


def city_row(m: Model, i: int) -> dict[str, Any]:
    """The city columns of case ``i`` in ``m``'s case table."""
    c = m.cases
    row: dict[str, Any] = {k: getattr(c, k).item(i) for k in CITY_TIMES + CITY_FLAGS}
    row.update(supervision=c.supervision.item(i), explained=c.explained.item(i),
               resolved_tier=c.resolved_tier.item(i), handler=c.handler[i])
    return row


def apply_row(m: Model, i: int, row: dict[str, Any]) -> None:
    """Merge a city row into ``m``'s case table (flags or-ed, the highest supervision level,
    the first explanation)."""
    c = m.cases
    for k in CITY_TIMES:
        getattr(c, k)[i] = row[k]
    for k in CITY_FLAGS:
        getattr(c, k)[i] |= row[k]
    c.supervision[i] = max(c.supervision.item(i), row["supervision"])
    c.explained[i] = np.fmin(c.explained.item(i), row["explained"])
    c.resolved_tier[i] = row["resolved_tier"]
    c.handler[i] = row["handler"]


class PartitionLink:
    """A partition's side: cases leave for the city and come back at the times it tells."""

    def __init__(self, m: Model) -> None:
        self.m = m
        self.outbox: list[tuple[str, float, int, list[str]]] = []
        self.waiting: dict[int, simpy.Event] = {}

    def escalate(self, run: CaseRun) -> Generator[Any, Any, tuple[str, str]]:
        """Case ``run`` arrived at the city tier: wait for its city part (routing, handling,
        feedback); returns the tier and handler it ended with."""
        ev = self.waiting[run.i] = self.m.env.event()
        self.outbox.append(("escalate", self.m.env.now, run.i, list(run.path)))
        tail = yield ev
        run.path.extend(tail)
        return "city", self.m.cases.handler[run.i] or "city"

    def rework(self, run: CaseRun) -> Generator[Any, Any, None]:
        """Verification failed on a case the city handled: it does the work again there."""
        ev = self.waiting[run.i] = self.m.env.event()
        self.outbox.append(("rework", self.m.env.now, run.i, []))
        yield ev

    def deliver(self, returns: list[tuple[float, int, list[str], str]],
                rows: list[tuple[int, dict[str, Any]]]) -> None:
        """The city's messages for the coming window: cases back at their times (with the
        path their city part took and their handler), and finished cases' city columns."""
        env = self.m.env
        for i, row in rows:
            apply_row(self.m, i, row)
        for t, i, tail, handler in returns:
            ev = self.waiting.pop(i)
            self.m.cases.handler[i] = handler
            ev._ok, ev._value = True, tail
            env.schedule(ev, delay=t - env.now)

    def take_outbox(self) -> list[tuple[str, float, int, list[str]]]:
        """What reached the city during the window just run, in time order."""
        out, self.outbox = self.outbox, []
        return out


class CityDesk:
    """The city process's side: it runs the city part of the cases sent to it and says, a
    window ahead, when each comes back."""

    def __init__(self, m: Model, shortest_last_job: float) -> None:
        self.m = m
        self.lookahead = shortest_last_job
        self.runs: dict[int, CaseRun] = {}
        self.last: dict[int, Job] = {}
        self.tails: dict[int, int] = {}  # path length when the case arrived
        self.active: set[int] = set()  # cases in their city part
        self.done: list[int] = []  # city parts finished since the last window

    def last_job(self, run: CaseRun, job: Job) -> None:
        """``job`` ends the city part of ``run``'s case: its end, once it begins, is when the
        case goes back."""
        self.last[run.i] = job

    def receive(self, messages: list[tuple[str, float, int, list[str]]]) -> None:
        """Cases escalated to the city, or sent back for rework, during the window about to
        run: each starts its city part at its time."""
        from sim.model.case import CaseRun

        env = self.m.env
        for kind, t, i, path in messages:
            run = self.runs.get(i)
            if run is None:
                run = self.runs[i] = CaseRun(self.m, i)
            if kind == "escalate":
                run.path = path
                self.tails[i] = len(path)
                body = run.at_city
            else:
                body = self._rework_of(run)
            ev = env.timeout(t - env.now)
            ev.callbacks.append(lambda _e, body=body, i=i: self._start(i, body))

    def _rework_of(self, run: CaseRun) -> Callable[[], Generator[Any, Any, None]]:
        return lambda: run.rework("city", self.m.cases.handler[run.i])

    def _start(self, i: int, body: Any) -> None:
        self.active.add(i)
        proc = self.m.env.process(body())
        proc.callbacks.append(lambda _e: self._finished(i))

    def _finished(self, i: int) -> None:
        self.active.discard(i)
        self.done.append(i)

    def safe_until(self, t: float) -> float:
        """The end of the window from ``t``: the earliest a city job begun from ``t`` on can
        end a case's city part."""
        w = math.inf
        for pool in self.m.centres.pools["city"] + [
                p for (_, tier, _), p in self.m.departments.pools.items() if tier == "city"]:
            for r in pool.rosters:
                start = t if takes_now(r, t) else next_start(r.cal, t)
                w = min(w, r.work_cal.add(start, self.lookahead))
        return w

    def returns_before(self, w: float) -> list[tuple[float, int, list[str], str]]:
        """Cases whose city part ends before ``w`` (their last job has begun): when, the path
        they took at the city and their handler."""
        out = []
        for i, job in list(self.last.items()):
            if job.roster is not None and job.end < w:
                run = self.runs[i]
                out.append((job.end, i, run.path[self.tails[i]:], self.m.cases.handler[i]))
                self.tails[i] = len(run.path)
                del self.last[i]
        return sorted(out)

    def finished_rows(self) -> list[tuple[int, dict[str, Any]]]:
        """City columns of the cases whose city part ended since the last call."""
        done, self.done = self.done, []
        return [(i, city_row(self.m, i)) for i in done]

    def open_rows(self) -> list[tuple[int, dict[str, Any]]]:
        """City columns of every case still in its city part (at the end of the run)."""
        return [(i, city_row(self.m, i)) for i in sorted(self.active)]
