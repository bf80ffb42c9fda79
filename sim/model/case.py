"""Cases: the table of every case's steps (numpy columns) and the lifecycle each case lives.

Lifecycle (design.md): reported (上报) → accepted (受理) → first handling by the worker
(首接初办) → closed by the worker, or escalated to the centre → handled there, diverted (分流)
to a department, or escalated up → handled → feedback to the requester (反馈) → verified by the
grid worker (核查, rework on failure) → closed (结案).
"""

from __future__ import annotations

from collections.abc import Generator
from math import isnan
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy

from sim.model.arrivals.poisson import DIFFICULTIES, SOURCES, URGENCIES
from sim.model.resource import PRIORITY, Job, Pool
from sim.model.routing import decide

if TYPE_CHECKING:
    from sim.model.engine import Model

NAN = np.nan
TIMES = (
    "occurred", "reported", "accepted", "first_start", "first_done", "escalated",
    "dispatched", "handle_start", "handled", "feedback", "verified", "closed",
    "accept_due", "dispatch_due", "handle_due", "verify_due", "dispatch_done", "explained",
    "handle_assigned", "close_due",
)
# a step done after its deadline, or still undone at the end of the run past it
LATE = ("accept", "dispatch", "handle", "verify", "close")
MAX_REWORK = 2
TIER_INDEX = {"grid": 0, "township": 1, "county": 2, "city": 3}


class CaseTable:
    """One row per problem that arises (a patrol may find it, or a resident report it)."""

    def __init__(self, n: int) -> None:
        self.n = n
        for name in TIMES:
            setattr(self, name, np.full(n, NAN))
        self.self_resolved = np.zeros(n, bool)
        self.resolved_tier = np.full(n, -1, np.int8)
        self.escalations = np.zeros(n, np.int8)
        self.reworks = np.zeros(n, np.int8)
        self.supervision = np.zeros(n, np.int8)
        self.overdue = np.zeros(n, bool)
        self.reached_worker = np.zeros(n, bool)
        self.entry_source = np.zeros(n, np.int8)
        for step in LATE:
            setattr(self, f"late_{step}", np.zeros(n, bool))
        self.handler: list[str] = [""] * n
        self.path: list[str] = [""] * n

    def columns(self) -> list[str]:
        """Names of the numpy columns."""
        return [k for k, v in vars(self).items() if isinstance(v, np.ndarray)]

    def take(self, rows: np.ndarray) -> CaseTable:
        """A table of just ``rows`` (for shipping a partition's cases)."""
        out = CaseTable.__new__(CaseTable)
        out.n = rows.shape[0]
        for k in self.columns():
            setattr(out, k, getattr(self, k)[rows])
        out.handler = [self.handler[i] for i in rows.tolist()]
        out.path = [self.path[i] for i in rows.tolist()]
        return out

    def put(self, rows: np.ndarray, part: CaseTable) -> None:
        """Write ``part`` (made by :meth:`take`) back at ``rows``."""
        for k in self.columns():
            getattr(self, k)[rows] = getattr(part, k)
        for i, h, p in zip(rows.tolist(), part.handler, part.path, strict=True):
            self.handler[i] = h
            self.path[i] = p


def _unit(m: Model, tier: str, grid: int) -> int:
    if tier == "township":
        return int(m.grid_township[grid])
    if tier == "county":
        return int(m.grid_county[grid])
    return 0


class CaseRun:
    """Case ``i`` living its lifecycle from report to close.

    Most cases end with the grid worker (首接初办): their first handling is a job with a
    callback, not a SimPy process; a process starts only for what climbs to the centres, for
    department tasks assigned down and for matters waiting for approval.
    """

    __slots__ = ("barred", "ct", "difficulty", "g", "handler", "i", "k", "m", "path", "prio",
                 "source", "team", "urban", "urgency")

    def __init__(self, m: Model, i: int) -> None:
        a = m.arrivals
        self.m, self.i = m, i
        # .item() reads a Python scalar straight from numpy: the hot path reads many
        self.k = k = a.type.item(i)
        self.ct = m.types[k]
        self.urgency = URGENCIES[a.urgency.item(i)]
        self.difficulty = DIFFICULTIES[a.difficulty.item(i)]
        self.source = SOURCES[m.cases.entry_source.item(i)]
        self.g = g = a.grid.item(i)
        self.urban = m.grid_urban.item(g)
        self.prio = PRIORITY[self.urgency]
        team_id = m.teams.grid_team.item(g)
        self.team = m.teams.pools[team_id] if team_id >= 0 else None
        self.barred = m.barred[k]
        self.path = ["grid"]
        self.handler: Pool | None = None  # who handles it, once a centre has assigned it

    def start(self) -> None:
        """The report arrives (上报): to the grid worker first where the rules say so."""
        m, i, routing = self.m, self.i, self.m.rules.routing
        now = m.env.now
        m.cases.reported[i] = now
        m.emit("case.report", i, source=self.source)
        m.cases.close_due[i] = m.deadlines.case_limit(now, self.urban, self.urgency)
        can_take = self.team is not None and not self.barred
        if self.source == "department" and can_take and routing.upper_assigns_down:
            m.env.process(self._assigned_down())
            return
        if not (can_take and routing.first_handling_by_worker
                and self.source in ("patrol", "resident")
                and not (self.urgency == "emergency" and routing.emergency_direct_to_township)):
            m.env.process(self._upward(False))
        elif m.off_list[self.k] and m.awaiting_approval(self.k, self.g):
            m.env.process(self._approved_then_worker())
        else:
            self._to_worker().callbacks.append(self._worker_called_back)

    def _assigned_down(self) -> Generator[Any, Any, None]:
        """A department's task lands on the county centre, which assigns it down to the grid."""
        m = self.m
        tier = "county" if "county" in m.centres.tiers else m.centres.entry_tier()
        pool = m.centres.pools[tier][_unit(m, tier, self.g)]
        yield from _route(m, self.i, pool, m.env.now, True, self.urban, self.urgency,
                          self.difficulty, self.prio)
        # the worker's handling deadline, as he will be given it on arrival
        m.emit("case.assign_down", self.i, tier=tier,
               deadline=m.deadlines.due("handle", m.env.now, self.urban, self.urgency,
                                        self.difficulty, self.ct.deadline_hours))
        self.path = [tier, "grid"]
        yield from self._approved_then_worker()

    def _approved_then_worker(self) -> Generator[Any, Any, None]:
        if self.m.off_list[self.k]:
            yield from self.m.await_approval(self.k, self.g)
        start = yield self._to_worker()
        if not self._worker_done(start):
            yield from self._upward(True)

    def _to_worker(self) -> Job:
        """First handling (首接初办): a job on the grid's team."""
        m, c, i = self.m, self.m.cases, self.i
        assert self.team is not None
        now = m.env.now
        c.reached_worker[i] = True
        if isnan(c.accept_due.item(i)):
            c.accept_due[i] = m.deadlines.due("accept", now, self.urban, self.urgency,
                                              self.difficulty, 0)
        # the worker's handling runs from when the case reaches him (a centre that assigned
        # it down set it; the assigner sets it)
        c.handle_due[i] = m.deadlines.due("handle", now, self.urban, self.urgency,
                                          self.difficulty, self.ct.deadline_hours)
        c.handle_assigned[i] = now
        return self.team.request(m.draw.worker_hours.item(i), self.prio, "case", order=i)

    def _worker_called_back(self, job: simpy.Event) -> None:
        if not self._worker_done(job.value):
            self.m.env.process(self._upward(True))  # the rest of the case is a process

    def _worker_done(self, start: float) -> bool:
        """The worker's first handling (begun at ``start``) ends: True if closed on the spot,
        else it goes up to the centre."""
        m, c, i = self.m, self.m.cases, self.i
        now = m.env.now
        c.first_start[i] = start
        if isnan(c.accepted.item(i)):
            c.accepted[i] = start
            if start > c.accept_due.item(i):
                c.late_accept[i] = True
            m.emit("case.accept", i, at=start, actor="worker", deadline=c.handle_due.item(i))
        c.first_done[i] = now
        c.handler[i] = "grid"
        m.supervision.handling(i, now)
        if m.draw.u_self.item(i) < self.ct.self_resolve:
            c.self_resolved[i] = True
            c.resolved_tier[i] = 0
            c.handled[i] = c.feedback[i] = c.verified[i] = c.closed[i] = now
            c.path[i] = ">".join(self.path)
            m.emit("case.handle", i, actor="worker", resolved=True)
            m.emit("case.close", i, actor="worker")
            m.supervision.case_limit(i, now)
            m.closed_case(i)
            return True
        # the worker's step is over; the centre that assigns the handling sets the next
        c.handle_due[i] = c.handle_assigned[i] = NAN
        m.emit("case.handle", i, actor="worker", resolved=False)
        return False

    def _upward(self, from_worker: bool) -> Generator[Any, Any, None]:
        """Up through the centres to whoever handles it, then feedback, verification, close.

        A partition of a run hands a case that climbs to the shared city tier over to the
        process that runs it (:mod:`sim.model.citylink`) and takes it back for verification.
        """
        m = self.m
        tier = m.centres.entry_tier()
        arrived, sender = m.env.now, "worker"  # the holder escalates, the worker first
        first = True
        while True:
            self._arrive(tier, sender, escalated=not first or from_worker, first=first)
            if tier == "city" and m.city_link is not None:
                tier, handler_name = yield from m.city_link.escalate(self)
                break
            step = yield from self._at_centre(tier, arrived, first)
            first = False
            if step is None:
                sender, tier, arrived = tier, m.centres.above(tier) or tier, m.env.now
                continue
            yield from self._handle(tier, *step)
            handler_name = step[1]
            break
        yield from self._verify(tier, handler_name)

    def at_city(self) -> Generator[Any, Any, None]:
        """The city tier's part of a case another process escalated to it (it has arrived):
        routing and handling there, up to feedback."""
        step = yield from self._at_centre("city", self.m.env.now, False)
        assert step is not None, "the city tier handles what it cannot escalate"
        yield from self._handle("city", *step)

    def _arrive(self, tier: str, sender: str, escalated: bool, first: bool) -> None:
        """The case reaches the centre of ``tier``, escalated by ``sender`` if ``escalated``."""
        m, c, i = self.m, self.m.cases, self.i
        self.path.append(tier)
        if escalated:
            # the receiving centre must route it by its dispatch deadline
            routed_by = m.deadlines.due("dispatch", m.env.now, self.urban, self.urgency,
                                        self.difficulty, 0)
            if first:
                c.escalated[i] = m.env.now
            else:
                c.escalations[i] += 1
            m.emit("case.escalate", i, actor=sender, tier=tier, deadline=routed_by)

    def _at_centre(self, tier: str, arrived: float, first: bool
                   ) -> Generator[Any, Any, tuple[Pool, str] | None]:
        """Routing at the centre of ``tier``: the handler it assigns (a department or itself)
        and the handler's name, or None if it escalates."""
        m, c, i, ct = self.m, self.m.cases, self.i, self.ct
        urban, urgency, difficulty = self.urban, self.urgency, self.difficulty
        pool = m.centres.pools[tier][_unit(m, tier, self.g)]
        accept = first and isnan(c.accepted.item(i))
        yield from _route(m, i, pool, arrived, accept, urban, urgency, difficulty, self.prio)
        if (m.rules.routing.multi_department_to_coordination
                and m.draw.u_multi.item(i) < ct.multi_department and tier != "township"):
            # 001 五.3: matters needing several departments go to the party committee
            self.path.append("coordination")
            m.emit("case.supervise", i, level="coordination", tier=tier,
                   deadline=c.dispatch_due.item(i))
            yield m.env.timeout(m.steps.coordination_days * 24)
        above = m.centres.above(tier)
        dept = ct.department
        d = decide(tier, ct.resolve_tier, dept, m.departments.tiers.get(dept or "", ("county",)),
                   m.departments.linked(dept), m.rules.routing.lateral_before_escalation, above)
        if d.action == "escalate":
            return None
        handler = None
        if d.action == "dispatch":
            handler = m.departments.find(d.department or "", tier, _unit(m, tier, self.g))
        name = tier if handler is None else f"dept:{d.department}@{tier}"
        now = m.env.now
        c.dispatched[i] = now
        # the handling deadline runs from the assignment, set by the assigner
        c.handle_due[i] = m.deadlines.due("handle", now, urban, urgency, difficulty,
                                          ct.deadline_hours)
        c.handle_assigned[i] = now
        m.emit("case.dispatch", i, tier=tier, to=name, deadline=c.handle_due.item(i))
        if handler is not None:
            self.path.append(name)
        c.resolved_tier[i] = TIER_INDEX[tier]
        c.handler[i] = name
        self.handler = pool if handler is None else handler
        return self.handler, name

    def _hours(self) -> float:
        """The handling work of this case at its handler."""
        hard = self.m.steps.hard_factor if self.difficulty == "hard" else 1.0
        return self.m.draw.handle_hours.item(self.i) * hard

    def _handle(self, tier: str, handler: Pool, name: str) -> Generator[Any, Any, None]:
        """Handling by ``handler``, then feedback to the requester from the centre of
        ``tier`` where the rules ask it."""
        m, c, i = self.m, self.m.cases, self.i
        feedback = m.draw.u_feedback.item(i) < m.feedback_rate
        job = handler.request(self._hours(), self.prio, "handling", order=i)
        if not feedback and m.desk is not None:
            m.desk.last_job(self, job)
        c.handle_start[i] = yield job
        c.handled[i] = m.env.now
        m.supervision.handling(i, m.env.now)
        m.emit("case.handle", i, actor=name, resolved=True)
        if feedback:
            centre = m.centres.pools[tier][_unit(m, tier, self.g)]
            job = centre.request(m.steps.feedback_minutes / 60, self.prio, "centre", order=i)
            if m.desk is not None:
                m.desk.last_job(self, job)
            yield job
            c.feedback[i] = m.env.now
            m.emit("case.feedback", i, tier=tier)

    def rework(self, tier: str, name: str) -> Generator[Any, Any, None]:
        """Verification failed: the centre of ``tier`` sends the case back to its handler
        ``name`` (a dispatch job), who does the work again (a share of the handling)."""
        m, c, i = self.m, self.m.cases, self.i
        centre = m.centres.pools[tier][_unit(m, tier, self.g)]
        yield centre.request(m.steps.dispatch_minutes / 60, self.prio, "centre", order=i)
        assert self.handler is not None
        job = self.handler.request(self._hours() * m.steps.rework_factor, self.prio, "handling",
                              order=i)
        if m.desk is not None:
            m.desk.last_job(self, job)
        yield job
        c.handled[i] = m.env.now
        m.supervision.handling(i, m.env.now)  # rework is handling: the same deadline holds
        m.emit("case.handle", i, actor=name, resolved=True, rework=True)

    def _verify(self, tier: str, name: str) -> Generator[Any, Any, None]:
        """The grid worker (or, for a matter barred from him, the centre) verifies; failures
        go back for rework; then the case closes."""
        m, c, i, ct = self.m, self.m.cases, self.i, self.ct
        env = m.env
        verifier = (self.team if (self.team is not None and not self.barred)
                    else m.centres.pools[tier][_unit(m, tier, self.g)])
        for attempt in range(MAX_REWORK + 1):
            c.verify_due[i] = m.deadlines.due("verify", env.now, self.urban, self.urgency,
                                              self.difficulty, 0)
            c.verified[i] = NAN
            yield verifier.request(m.steps.verify_minutes / 60, self.prio, "verify", order=i)
            passed = attempt == MAX_REWORK or m.draw.u_rework.item(i, attempt) >= ct.rework
            c.verified[i] = env.now
            if env.now > c.verify_due.item(i):
                c.late_verify[i] = True
            m.emit("case.verify", i, passed=bool(passed),
                   actor="worker" if verifier is self.team else tier)
            if passed:
                break
            c.reworks[i] += 1
            if tier == "city" and m.city_link is not None:
                yield from m.city_link.rework(self)
            else:
                yield from self.rework(tier, name)
        c.closed[i] = env.now
        m.supervision.case_limit(i, env.now)
        c.path[i] = ">".join(self.path)
        m.emit("case.close", i, tier=tier)
        m.closed_case(i)


def _route(m: Model, i: int, pool: Pool, arrived: float, accept: bool, urban: bool,
           urgency: str, difficulty: str, prio: int) -> Generator[Any, Any, None]:
    """At a centre: accept the case (受理) if it is new here, then decide where it goes.

    One job on the centre's pool covers both steps (they follow each other at one desk); the
    acceptance time inside it is computed on the pool's clock.
    """
    c, steps, dl = m.cases, m.steps, m.deadlines
    accept_h = steps.accept_minutes / 60 if accept else 0.0
    if accept:
        c.accept_due[i] = dl.due("accept", arrived, urban, urgency, difficulty, 0)
    c.dispatch_due[i] = dl.due("dispatch", arrived, urban, urgency, difficulty, 0)
    c.dispatch_done[i] = NAN
    job = pool.request(accept_h + steps.dispatch_minutes / 60, prio, "centre", order=i)
    start = yield job
    if accept:
        c.accepted[i] = job.cal.add(start, accept_h)
        if c.accepted.item(i) > c.accept_due.item(i):
            c.late_accept[i] = True
        m.emit("case.accept", i, tier=pool.tier, at=c.accepted.item(i))
    # dispatch is on time only if every centre's routing met its deadline
    now = m.env.now
    c.dispatch_done[i] = now
    if now > c.dispatch_due.item(i):
        c.late_dispatch[i] = True
