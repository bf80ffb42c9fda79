"""A pool of servers (workers, centre staff, handlers) on a working-hours calendar, monitored.

A non-preemptive multi-server queue served by priority, then first come first served. It is
written on bare SimPy events and a heap rather than ``simpy.PriorityResource``, whose sorted
list re-sorts on every request (quadratic once queues grow). Monitoring costs a few additions
per job: time-weighted queue length and busy servers (for Little's law), waits, and work hours
by activity. ``reset_stats`` restarts them all at the end of a run's warm-up.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import simpy

from sim.model.clock import Calendar

# priorities: lower is served first (emergencies before routine cases before patrols)
PRIORITY = {"emergency": 0, "urgent": 1, "routine": 2, "patrol": 3}


@dataclass(frozen=True)
class PoolStats:
    """A pool's measurements over the run's window (after any warm-up): ``available`` is its
    servers' working hours in the window, ``offered`` the working hours of the jobs that came
    (done or not), ``speed`` the share of working time left for jobs (admin and training take
    the rest)."""

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
    offered: float = 0.0
    speed: float = 1.0


class Tally:
    """Jobs waiting and servers busy now, summed over the pools that share it: an hourly
    time series reads a few tallies instead of every pool."""

    __slots__ = ("busy", "queue")

    def __init__(self) -> None:
        self.queue = 0
        self.busy = 0


class Job(simpy.Event):
    """One job on a pool: the event fires when the work is done, its value the start time.

    A job is one event however long it queued: the server that frees up schedules it straight
    at its end (rather than waking the job to start a timeout), and the pool's own accounting
    runs as its first callback, before whoever waits on it.
    """

    __slots__ = ("activity", "hours", "pool", "queued_at")

    def __init__(self, pool: Pool, hours: float, activity: str | dict[str, float]) -> None:
        super().__init__(pool.env)
        self.pool, self.hours, self.activity = pool, hours, activity
        self.queued_at = pool.env.now
        self.callbacks.append(pool._finish)

    def begin(self, start: float) -> None:
        """A server takes the job at ``start`` (now): it ends after its working hours."""
        pool = self.pool
        end = pool.cal.add(start, self.hours / pool.speed)
        self._ok, self._value = True, start
        self.env.schedule(self, delay=end - start)


class Pool:
    """``capacity`` servers sharing one queue and one calendar.

    ``speed`` < 1 stretches every job: the share of working time lost to admin and training.
    """

    __slots__ = (
        "_free_at", "_heap", "_last", "_seq", "_since", "area_busy", "area_queue", "arrived",
        "cal", "capacity", "env", "free", "kind", "name", "offered", "speed", "tally", "tier",
        "unit", "wait_sum", "waited", "work",
    )

    def __init__(self, env: simpy.Environment, name: str, tier: str, kind: str, unit: int,
                 capacity: int, cal: Calendar, speed: float = 1.0) -> None:
        self.env, self.name, self.tier, self.kind, self.unit = env, name, tier, kind, unit
        self.capacity = capacity
        self.free = max(capacity, 1)
        self._heap: list[tuple[int, int, Job]] = []
        self._seq = 0
        self.cal, self.speed = cal, speed
        self.arrived = 0
        self.waited = 0
        self.wait_sum = 0.0
        self.area_queue = 0.0
        self.area_busy = 0.0
        self._last = 0.0
        self._since = 0.0
        self._free_at = 0.0
        self.offered = 0.0
        self.work: dict[str, float] = {}
        self.tally = Tally()

    def share_tally(self, tally: Tally) -> None:
        """Count this pool in ``tally`` (shared with others) from now on; only before it has
        had any job, so the shared sums stay exact."""
        if self.arrived:
            raise RuntimeError(f"{self.name}: a tally is shared before the run, not during it")
        self.tally = tally

    def _mark(self, now: float) -> None:
        dt = now - self._last
        if dt:
            self.area_queue += dt * len(self._heap)
            self.area_busy += dt * (max(self.capacity, 1) - self.free)
            self._last = now

    def request(self, hours: float, priority: int, activity: str | dict[str, float]) -> Job:
        """Queue a job of ``hours`` working hours; yield it, or add a callback to it.

        A job that takes a server off shift holds it until the shift opens and the work is
        done (``Calendar.add``): the order of service is the same as if it waited for the
        opening, at one event less. ``activity`` names what the hours are spent on, or splits
        them (``{"patrol": 2.0, "visit": 1.5}``). Lower ``priority`` is served first, then
        first come first served.
        """
        job = Job(self, hours, activity)
        now = job.queued_at
        self._mark(now)
        self.arrived += 1
        self.offered += hours
        if self.free and not self._heap:
            self.free -= 1
            self.tally.busy += 1
            self.waited += 1
            job.begin(now)
        else:
            heapq.heappush(self._heap, (priority, self._seq, job))
            self._seq += 1
            self.tally.queue += 1
        return job

    def _finish(self, job: simpy.Event) -> None:
        """A job ends: count its work, then hand the server to the next job or free it."""
        assert isinstance(job, Job)
        work = self.work
        activity = job.activity
        if isinstance(activity, str):
            work[activity] = work.get(activity, 0.0) + job.hours
        else:
            for a, h in activity.items():
                work[a] = work.get(a, 0.0) + h
        now = self.env.now
        self._mark(now)
        if self._heap:
            nxt = heapq.heappop(self._heap)[2]
            self.tally.queue -= 1
            self.wait_sum += now - nxt.queued_at
            self.waited += 1
            nxt.begin(now)
        else:
            self.free += 1
            self.tally.busy -= 1

    def book(self, hours: float, activity: str) -> float:
        """Book work on a pool nothing else queues on (part-time helpers' visit batches):
        its servers share the job, starting when they are free; returns the finish time.

        Arithmetic instead of events: the job order is already fixed by its only caller.
        """
        start = max(self.env.now, self._free_at)
        end = self.cal.add(start, hours / self.speed / max(self.capacity, 1))
        # not a queued job: it counts as work and busy time, not in the queue statistics
        self.area_busy += (end - start) * max(self.capacity, 1)
        self._free_at = end
        self.offered += hours
        self.work[activity] = self.work.get(activity, 0.0) + hours
        return end

    def reset_stats(self) -> None:
        """Restart every measurement now (the end of a warm-up).

        Jobs still queued count as arriving now and wait from now, so Little's law holds
        exactly over what follows. Jobs in service count their whole work when they end, as
        jobs in service at the end of a run count none of theirs: one job per server at each
        edge of the window. Helpers' visit batches booked past now stay busy time.
        """
        now = self.env.now
        self._mark(now)
        self._since = now
        queued = [entry[2] for entry in self._heap]
        for job in queued:
            job.queued_at = now
        self.arrived = len(queued)
        self.offered = sum(job.hours for job in queued)
        self.waited = 0
        self.wait_sum = 0.0
        self.area_queue = 0.0
        self.area_busy = max(self._free_at - now, 0.0) * max(self.capacity, 1)
        self.work = {}

    def close(self) -> None:
        """Bring the time-weighted areas up to now (call at the end of a run)."""
        self._mark(self.env.now)

    def stats(self, horizon: float) -> PoolStats:
        """What this pool measured since the last reset (or the start) up to ``horizon``,
        detached from the simulation (picklable)."""
        now = self.env.now
        worked = self.cal.worked(horizon) - self.cal.worked(self._since)
        return PoolStats(self.name, self.tier, self.kind, self.capacity,
                         self.capacity * worked, dict(self.work),
                         self.arrived, self.waited, self.wait_sum, self.area_queue,
                         self.area_busy, len(self._heap),
                         sum(now - job[2].queued_at for job in self._heap),
                         self.offered, self.speed)
