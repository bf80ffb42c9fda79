"""Pools on rosters (sim/model/resource.py), over random shift patterns and arrivals: no job
starts while its server is off shift, and every start respects priority order."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.clock import ALWAYS, calendar
from sim.model.resource import PRIORITY, Job, Pool, Roster

calendars = st.builds(
    lambda start, length, days: calendar(start, start + length, tuple(days)),
    st.sampled_from([0.0, 6.0, 8.5, 13.0, 20.0]),
    st.sampled_from([1.0, 4.0, 8.0, 12.0, 16.0]),
    st.lists(st.integers(0, 6), min_size=1, max_size=7, unique=True))
jobs = st.lists(st.tuples(st.floats(0, 300), st.sampled_from([0, 1, 2]),
                          st.floats(0.05, 6.0), st.booleans()), min_size=1, max_size=60)


class Starts:
    """Every (re)start of work: (time, roster, job)."""

    def __init__(self) -> None:
        self.seen: list[tuple[float, Roster, Job]] = []

    def begin(self, job: Job, start: float, stop: float) -> None:
        assert job.roster is not None
        self.seen.append((start, job.roster, job))

    def end(self, job: Job, at: float) -> None:
        """Nothing to check when a segment ends."""


def _run(cal, servers: int, duty: bool, spec: list[tuple[float, int, float, bool]]
         ) -> tuple[list[Job], Starts]:
    env = simpy.Environment()
    rosters = [Roster(servers, cal)]
    if duty:  # one officer off office hours for emergencies, finishing what he starts
        rosters.append(Roster(1, cal.complement(), PRIORITY["emergency"], ALWAYS))
    pool = Pool(env, "p", "grid", "full_time", 0, rosters)
    starts = Starts()
    made: list[Job] = []

    def arrive(t: float, prio: int, hours: float, routine: bool) -> Generator[Any, Any, None]:
        yield env.timeout(t)
        job = pool.request(hours, prio if not routine else PRIORITY["patrol"], "x",
                           routine=routine, order=len(made), watcher=starts if routine else None)
        made.append(job)

    for t, prio, hours, routine in spec:
        env.process(arrive(t, prio, hours, routine))
    env.run(until=2000)
    for job in made:
        if job.left < 0 and job.roster is not None:
            starts.seen.append((job.started, job.roster, job))
    return made, starts


@settings(max_examples=150, deadline=None)
@given(cal=calendars, servers=st.integers(1, 3), duty=st.booleans(), spec=jobs)
def test_no_job_starts_off_shift_and_priority_holds(cal, servers, duty, spec) -> None:
    made, starts = _run(cal, servers, duty, spec)
    served = [job for job in made if job.roster is not None]
    # what is not served yet is still queued (short shifts, much work)
    assert all(job.waiting for job in made if job.roster is None)
    for t, roster, job in starts.seen:
        # on shift, and not at the very instant it closes
        assert roster.cal.is_open(t), (t, roster.cal.next_open(t))
        assert job.prio <= roster.takes
    # a job started at t while another the same roster could take, more urgent (or as urgent
    # and queued earlier), had been waiting since before t and started only later: never
    first = [(job.started, job.roster, job) for job in served]
    for t, roster, job in first:
        for other in made:
            if other is job or other.prio > roster.takes:
                continue
            better = (other.prio, other.key, other.order) < (job.prio, job.key, job.order)
            waited = other.queued_at < t and (other.roster is None or other.started > t)
            # routine work may have begun before a case arrived and be resumed later: only
            # first starts of not-yet-begun work are compared
            assert not (better and waited), (job.prio, t, other.prio, other.queued_at,
                                             other.started)


@settings(max_examples=60, deadline=None)
@given(cal=calendars, spec=jobs)
def test_jobs_arriving_off_shift_wait_for_the_opening(cal, spec) -> None:
    """A job that arrives while the only server is off starts at the opening or later."""
    made, _ = _run(cal, 1, False, spec)
    served = [job for job in made if job.roster is not None]
    for job in served:
        opening = cal.next_open(job.queued_at)
        if opening > job.queued_at:  # it arrived off shift
            assert job.started >= opening
    times = np.array(sorted(job.started for job in served))
    assert all(cal.is_open(t) for t in times)
