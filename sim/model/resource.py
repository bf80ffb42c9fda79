"""A pool of servers (workers, centre staff, handlers) on rosters, serving one queue, monitored.

Semantics (docs/model.md, "Pools"), after Ciw's server schedules:

- A pool's servers come in **rosters** (:class:`Roster`): the office staff on the office
  calendar, and optionally an on-duty (值班) roster outside office hours that takes only the
  most urgent jobs. A server takes a job only while its roster's calendar is open; a job
  queued while every eligible server is off waits, and when a roster opens its free servers
  take the waiting jobs by priority. Waits are measured to when work begins.
- Jobs are served by priority class (emergency, urgent, routine), then by their queue key:
  the time they were queued, plus an ageing offset for routine work (patrols, sweeps, door
  visits: they count as queued ``ageing`` hours after their request, so routine cases reported
  before then go first and later ones do not starve them).
- A case job in progress when its server's shift ends pauses and resumes at the next opening
  (``Calendar.add``): one event per job however long it queued or paused.
- Routine work is **pre-emptible**: an emergency or urgent job that finds no free server takes
  the server of a routine job, which goes back to the queue with the work it has left; routine
  work also goes back to the queue at the end of a shift rather than holding the server over
  night, so the morning's waiting cases go first.

It is written on bare SimPy events and a heap rather than ``simpy.PriorityResource``, whose
sorted list re-sorts on every request. Monitoring costs a few additions per job:
time-weighted queue length and busy servers (Little's law), waits, and work by activity.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from typing import Protocol

import simpy
from simpy.events import PENDING

from sim.config.staffing import DutyRoster
from sim.model.clock import ALWAYS, Calendar

# priority classes: lower is served first; routine work ages into the routine class
PRIORITY = {"emergency": 0, "urgent": 1, "routine": 2, "patrol": 2}
ROUTINE = 2
LAST = 2  # an event priority after SimPy's URGENT (0) and NORMAL (1): the end of an instant
DUTY = "duty"  # the work key of on-duty rosters
EPS = 1e-9
# a roster whose shift ends within this many hours takes no new job (float rounding at a
# closing time must not look like an open shift)
MARGIN = 1e-6


def next_start(cal: Calendar, now: float) -> float:
    """When a roster off shift at ``now`` can next start a job."""
    t = cal.next_open(now)
    if t == now:  # at the very end of a shift: the next one
        t = cal.next_open(cal.next_close(now) + MARGIN)
    return t


def takes_now(r: Roster, now: float) -> bool:
    """Whether ``r``'s servers may start a job now: on shift, and not at its very end.

    The answer holds over a span of time (an open shift, or a closed gap), kept on the roster:
    most requests fall in the span of the last one."""
    if r.span_lo <= now < r.span_hi:
        return r.span_open
    cal = r.cal
    if cal.always:
        r.span_lo, r.span_hi, r.span_open = 0.0, math.inf, True
        return True
    t = cal.next_open(now)
    if t == now:
        close = cal.next_close(now) - MARGIN
        if close > now:
            r.span_lo, r.span_hi, r.span_open = now, close, True
            return True
        t = next_start(cal, now)
    r.span_lo, r.span_hi, r.span_open = now, t, False
    return False


@dataclass(frozen=True)
class PoolStats:
    """A pool's measurements: ``available`` is its office servers' shift hours in the measured
    span (overhead included), ``overhead`` the share of them spent on admin and training;
    ``duty_available`` the on-duty roster's hours (its work is ``work["duty"]``); ``offered``
    the working hours of the jobs that came, done or not. All over the run's window (after
    any warm-up)."""

    name: str
    tier: str
    kind: str
    capacity: int
    available: float
    work: dict[str, float]
    arrived: int
    waited: int
    wait_sum: float
    area_queue: float
    area_busy: float
    queued_at_end: int = 0
    censored_wait: float = 0.0
    overhead: float = 0.0
    duty_available: float = 0.0
    offered: float = 0.0


class Tally:
    """Jobs waiting and servers busy now, summed over the pools that share it: an hourly
    time series reads a few tallies instead of every pool."""

    __slots__ = ("busy", "queue")

    def __init__(self) -> None:
        self.queue = 0
        self.busy = 0


class Roster:
    """``capacity`` servers who take jobs while ``cal`` is open, of priority class ``takes``
    or more urgent, and work on them on ``work_cal`` (an on-duty officer finishes the
    emergency he started after his duty ends; office staff pause at closing)."""

    __slots__ = ("cal", "capacity", "free", "span_hi", "span_lo", "span_open", "takes", "tally",
                 "waking", "work_cal")

    def __init__(self, capacity: int, cal: Calendar, takes: int = ROUTINE,
                 work_cal: Calendar | None = None) -> None:
        if capacity < 1:
            raise ValueError("a roster needs at least one server")
        self.capacity, self.free, self.cal, self.takes = capacity, capacity, cal, takes
        self.work_cal = cal if work_cal is None else work_cal
        self.waking = False
        self.tally = Tally()
        # a span of time over which the roster is known to be on (or off) shift
        self.span_lo = self.span_hi = 0.0
        self.span_open = False


def rosters(capacity: int, office: Calendar, duty: DutyRoster | None) -> list[Roster]:
    """The office roster of ``capacity`` servers on ``office``, and the unit's on-duty roster
    if its staffing has one (outside office hours or round the clock)."""
    out = [Roster(capacity, office)]
    if duty is not None:
        cal = ALWAYS if duty.hours == "always" else office.complement()
        out.append(Roster(duty.staff, cal, PRIORITY[duty.takes], ALWAYS))
    return out


class Watcher(Protocol):
    """Told when a pre-emptible job's work runs (patrols discover problems as they pass)."""

    def begin(self, job: Job, start: float, stop: float) -> None:
        """A segment of work starts now, planned to run until ``stop``."""

    def end(self, job: Job, at: float) -> None:
        """The segment ends at ``at`` (as planned, or cut short by pre-emption)."""


class Job(simpy.Event):
    """One job on a pool: the event fires when the work is done, its value the start time.

    A case job is one event however long it queued: the server that frees up schedules it
    straight at its end, and the pool's own accounting runs as its first callback, before
    whoever waits on it. A pre-emptible job runs in segments, each ended by a timer.
    """

    __slots__ = (
        "activity",
        "cancelled",
        "end",
        "hours",
        "key",
        "left",
        "order",
        "pool",
        "prio",
        "queued_at",
        "roster",
        "seg_start",
        "segment",
        "started",
        "waiting",
        "waiting_since",
        "watcher",
    )

    def __init__(self, pool: Pool, hours: float, activity: str, prio: int, key: float,
                 order: int, left: float, watcher: Watcher | None) -> None:
        # simpy.Event's own set-up, inlined: jobs are the model's commonest objects
        self.env = env = pool.env
        self.callbacks = [pool._finish]
        self._value = PENDING
        self.pool, self.hours, self.activity, self.prio, self.key = pool, hours, activity, prio, key
        self.queued_at = self.waiting_since = env.now
        self.roster: Roster | None = None
        self.started = self.end = -1.0  # end: when a case job will end, once begun
        self.left = left  # >= 0 marks a pre-emptible job: its work still to do
        self.segment = 0
        self.seg_start = 0.0
        self.cancelled = self.waiting = False
        self.order = order
        self.watcher = watcher

    @property
    def cal(self) -> Calendar:
        """The calendar the job's work runs on (its server's)."""
        assert self.roster is not None
        return self.roster.work_cal


class Pool:
    """Servers on one or more rosters sharing one queue (see the module docstring).

    ``overhead`` is the share of shift time spent on admin and training (reported with the
    utilisation; the rosters' calendars already leave that time out).
    """

    __slots__ = (
        "_assigning",
        "_free_at",
        "_heap",
        "_last",
        "_running",
        "_seq",
        "area_busy",
        "area_queue",
        "arrived",
        "busy",
        "cal",
        "capacity",
        "deferred",
        "env",
        "kind",
        "name",
        "offered",
        "overhead",
        "queued",
        "rosters",
        "since",
        "tally",
        "tier",
        "unit",
        "wait_sum",
        "waited",
        "work",
    )

    def __init__(self, env: simpy.Environment, name: str, tier: str, kind: str, unit: int,
                 rosters: list[Roster], overhead: float = 0.0) -> None:
        if not rosters:
            raise ValueError(f"{name}: a pool needs a roster")
        self.env, self.name, self.tier, self.kind, self.unit = env, name, tier, kind, unit
        self.rosters = rosters
        self.cal = rosters[0].cal  # the office calendar
        self.capacity = rosters[0].capacity
        self.overhead = overhead
        self._heap: list[tuple[int, float, int, int, Job]] = []
        # a pool shared by processes (the city tier) settles each instant's ties in one order
        # whatever order the instant's events came in (sim/model/citylink.py)
        self.deferred = False
        self._assigning = False
        self._seq = 0
        self._running: list[Job] = []  # pre-emptible jobs in service
        self.queued = 0
        self.busy = 0
        self.arrived = 0
        self.waited = 0
        self.wait_sum = 0.0
        self.area_queue = 0.0
        self.area_busy = 0.0
        self._last = 0.0
        self.since = 0.0
        self._free_at = 0.0
        self.offered = 0.0
        self.work: dict[str, float] = {}
        self.tally = Tally()

    # --- monitoring ---------------------------------------------------------------------
    def share_tally(self, queue: Tally, busy: dict[int, Tally]) -> None:
        """Count this pool's queue in ``queue`` and each roster's busy servers in the tally
        ``busy`` holds for its work calendar (``id(cal)`` keys), from now on; only before the
        pool has had any job, so the shared sums stay exact."""
        if self.arrived:
            raise RuntimeError(f"{self.name}: a tally is shared before the run, not during it")
        self.tally = queue
        for r in self.rosters:
            r.tally = busy.setdefault(id(r.work_cal), Tally())

    def _mark(self, now: float) -> None:
        dt = now - self._last
        if dt:
            self.area_queue += dt * self.queued
            self.area_busy += dt * self.busy
            self._last = now

    def reset_stats(self) -> None:
        """Restart every measurement now (the end of a warm-up).

        Jobs still queued count as arriving now and wait from now, so Little's law holds
        exactly over what follows. Jobs in service count their work when it is done, as jobs
        in service at the end of a run count none of theirs: one job per server at each edge
        of the window. Helpers' visit batches booked past now stay busy time.
        """
        now = self.env.now
        self._mark(now)
        waiting = [entry[-1] for entry in self._heap if entry[-1].waiting]
        for job in waiting:
            job.waiting_since = now
        self.arrived = len(waiting)
        self.offered = sum(job.left if job.left >= 0 else job.hours for job in waiting)
        self.waited = 0
        self.wait_sum = self.area_queue = 0.0
        self.area_busy = max(self._free_at - now, 0.0) * self.capacity
        self.work = {}
        self.since = now

    # --- requests -----------------------------------------------------------------------
    def request(self, hours: float, priority: int, activity: str, *, routine: bool = False,
                ageing: float = 0.0, order: int = -1, watcher: Watcher | None = None) -> Job:
        """Queue a job of ``hours`` working hours; yield it, or add a callback to it.

        ``activity`` names what the hours are spent on. ``routine`` marks pre-emptible routine
        work (patrols, sweeps, visits), queued as if ``ageing`` hours later than now, told to
        ``watcher`` as it runs. Jobs of one priority and queue time go in ``order`` (a case's
        number), then as they came.
        """
        now = self.env.now
        job = Job(self, hours, activity, priority, now + ageing, order,
                  hours if routine else -1.0, watcher)
        self._mark(now)
        self.arrived += 1
        self.offered += hours
        if self.deferred:
            self._enqueue(job)
            self._assign_later()
            return job
        for r in self.rosters:
            if r.free and priority <= r.takes and takes_now(r, now):
                # no queued job can be waiting for this server, or it would have taken it
                self._begin(job, r, now)
                return job
        if priority < ROUTINE and self._running and self._preempt(job, now):
            return job
        self._enqueue(job)
        return job

    def cancel(self, job: Job) -> bool:
        """Withdraw a job that has not started (a day's patrol replaced by the next day's);
        True if it was still waiting. Its event never fires."""
        if not job.waiting:
            return False
        now = self.env.now
        self._mark(now)
        self.wait_sum += now - job.waiting_since
        job.cancelled = True
        job.waiting = False
        self.queued -= 1
        self.tally.queue -= 1
        return True

    def _enqueue(self, job: Job) -> None:
        heapq.heappush(self._heap, (job.prio, job.key, job.order, self._seq, job))
        self._seq += 1
        self.queued += 1
        self.tally.queue += 1
        job.waiting = True
        job.waiting_since = self.env.now
        for r in self.rosters:
            if r.free and job.prio <= r.takes and not r.waking:
                # free but off shift: wake at its next opening
                self._wake_at(r, next_start(r.cal, self.env.now))

    def _wake_at(self, r: Roster, t: float) -> None:
        r.waking = True
        ev = self._at(t)
        ev.callbacks.append(lambda _e, r=r: self._opening(r))

    def _at(self, t: float) -> simpy.Event:
        """An event at time ``t``: for a deferred pool, after everything else at that time."""
        if not self.deferred:
            return self.env.timeout(t - self.env.now)
        ev = simpy.Event(self.env)
        ev._ok, ev._value = True, None
        self.env.schedule(ev, LAST, t - self.env.now)
        return ev

    def _assign_later(self) -> None:
        """A deferred pool gives its free servers their jobs once this instant is over."""
        if not self._assigning:
            self._assigning = True
            self._at(self.env.now).callbacks.append(self._assign)

    def _assign(self, _event: simpy.Event) -> None:
        self._assigning = False
        now = self.env.now
        self._mark(now)
        for r in self.rosters:
            if not takes_now(r, now):
                if r.free and not r.waking and self._next_for(r) is not None:
                    self._wake_at(r, next_start(r.cal, now))
                continue
            while r.free:
                job = self._pop_for(r)
                if job is None:
                    break
                self._begin(job, r, now)

    def _opening(self, r: Roster) -> None:
        """A roster's shift opens: its free servers take waiting jobs by priority."""
        r.waking = False
        now = self.env.now
        if not takes_now(r, now):  # rounding at the boundary: wait for the next opening
            if r.free and self._next_for(r) is not None:
                self._wake_at(r, next_start(r.cal, now))
            return
        self._mark(now)
        while r.free:
            job = self._pop_for(r)
            if job is None:
                break
            self._begin(job, r, now)

    def _next_for(self, r: Roster) -> Job | None:
        heap = self._heap
        while heap and heap[0][-1].cancelled:
            heapq.heappop(heap)
        if heap and heap[0][0] <= r.takes:
            return heap[0][-1]
        return None

    def _pop_for(self, r: Roster) -> Job | None:
        job = self._next_for(r)
        if job is not None:
            heapq.heappop(self._heap)
            job.waiting = False
            self.queued -= 1
            self.tally.queue -= 1
        return job

    def _begin(self, job: Job, r: Roster, now: float) -> None:
        """Server of roster ``r`` starts (or resumes) ``job`` now."""
        if job.roster is None:
            job.started = now
            self.waited += 1
        self.wait_sum += now - job.waiting_since
        r.free -= 1
        r.tally.busy += 1
        self.busy += 1
        job.roster = r
        if job.left < 0:
            job._ok, job._value = True, job.started
            job.end = r.work_cal.add(now, job.hours)
            self.env.schedule(job, delay=job.end - now)
            return
        # routine work: a segment up to the job's end or the shift's end, whichever first
        cal = r.work_cal
        end = cal.add(now, job.left)
        close = cal.next_close(now)
        last = end <= close + EPS
        stop = end if last else close
        job.segment += 1
        job.seg_start = now
        self._running.append(job)
        if job.watcher is not None:
            job.watcher.begin(job, now, stop)
        timer = self.env.timeout(stop - now)
        timer.callbacks.append(lambda _e, job=job, seg=job.segment: self._segment_end(job, seg))

    def _preempt(self, urgent: Job, now: float) -> bool:
        """Give ``urgent`` the server of a routine job (the latest started), which goes back
        to the queue with the work it has left."""
        for k in range(len(self._running) - 1, -1, -1):
            job = self._running[k]
            r = job.roster
            assert r is not None
            if urgent.prio <= r.takes:
                self._stop(job, now)
                self._enqueue(job)
                r.free += 1
                r.tally.busy -= 1
                self.busy -= 1
                self._begin(urgent, r, now)
                return True
        return False

    def _stop(self, job: Job, now: float) -> None:
        """End a routine job's current segment now (pre-empted, or its shift closed)."""
        done = now - job.seg_start  # a segment never spans a closure: wall time is work
        job.left = max(job.left - done, 0.0)
        job.segment += 1  # its timer, if still pending, is stale
        self._running.remove(job)
        self._account(job, done)
        if job.watcher is not None:
            job.watcher.end(job, now)

    def _segment_end(self, job: Job, segment: int) -> None:
        if job.segment != segment:
            return  # pre-empted before this timer
        now = self.env.now
        self._mark(now)
        r = job.roster
        assert r is not None
        done = now - job.seg_start
        job.left = max(job.left - done, 0.0)
        self._running.remove(job)
        self._account(job, done)
        if job.watcher is not None:
            job.watcher.end(job, now)
        if job.left <= EPS:
            # done: its callbacks (_finish frees the server) run now, at no event's cost
            job.left = 0.0
            job._ok, job._value = True, job.started
            callbacks, job.callbacks = job.callbacks, None
            for callback in callbacks:
                callback(job)
            return
        # the shift closed with work left: back to the queue, the server goes off
        job.segment += 1
        self._enqueue(job)
        self._release(r, now)

    def _finish(self, job: simpy.Event) -> None:
        """A job ends: count its work, then hand the server to the next job or free it."""
        assert isinstance(job, Job)
        now = self.env.now
        if job.left < 0:
            self._account(job, job.hours)
        self._mark(now)
        r = job.roster
        assert r is not None
        self._release(r, now)

    def _account(self, job: Job, hours: float) -> None:
        """Count ``hours`` of ``job``'s work: by activity for the office roster, as ``duty``
        for an on-duty roster (its utilisation is its own)."""
        key = job.activity if job.roster is self.rosters[0] else DUTY
        self.work[key] = self.work.get(key, 0.0) + hours

    def _release(self, r: Roster, now: float) -> None:
        """A server of ``r`` is done: next job if on shift, else free (woken at opening)."""
        r.free += 1
        r.tally.busy -= 1
        self.busy -= 1
        if self.deferred:
            self._assign_later()
        elif takes_now(r, now):
            nxt = self._pop_for(r)
            if nxt is not None:
                self._begin(nxt, r, now)
        elif not r.waking and self._next_for(r) is not None:
            self._wake_at(r, next_start(r.cal, now))

    # --- arithmetic booking ---------------------------------------------------------------
    def book(self, hours: float, activity: str) -> float:
        """Book work on a pool nothing else queues on (part-time helpers' visit batches):
        its servers share the job, starting when they are free; returns the finish time.

        Arithmetic instead of events: the job order is already fixed by its only caller.
        """
        start = max(self.env.now, self._free_at)
        end = self.cal.add(start, hours / self.capacity)
        # not a queued job: it counts as work and busy time, not in the queue statistics
        self.area_busy += (end - start) * self.capacity
        self._free_at = end
        self.offered += hours
        self.work[activity] = self.work.get(activity, 0.0) + hours
        return end

    # --- results --------------------------------------------------------------------------
    def close(self) -> None:
        """Bring the time-weighted areas up to now (call at the end of a run)."""
        self._mark(self.env.now)

    def stats(self, horizon: float) -> PoolStats:
        """What this pool measured since its statistics began, detached (picklable)."""
        now = self.env.now
        waiting = [entry[-1] for entry in self._heap if not entry[-1].cancelled]
        hours = [r.capacity * (r.cal.worked(horizon) - r.cal.worked(self.since))
                 for r in self.rosters]
        return PoolStats(self.name, self.tier, self.kind,
                         sum(r.capacity for r in self.rosters),
                         hours[0] / (1.0 - self.overhead), dict(self.work),
                         self.arrived, self.waited, self.wait_sum, self.area_queue,
                         self.area_busy, len(waiting),
                         sum(now - job.waiting_since for job in waiting), self.overhead,
                         sum(hours[1:]), self.offered)
