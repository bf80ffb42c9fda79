"""Working-hours calendars: deadlines and shifts run on the clock of who does the work.

Simulation time is in hours from Monday 00:00 of day 0. A calendar opens at the same hours on
each of its workdays; ``add(t, h)`` is when ``h`` working hours starting at ``t`` are done.
Every query is a handful of float operations (these sit on the model's hottest path).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

WEEK = 168.0


class Calendar:
    """Open from ``start_hour`` to ``end_hour`` on each weekday in ``workdays`` (0 = Monday)."""

    def __init__(self, start_hour: float, end_hour: float, workdays: Sequence[int]) -> None:
        days = sorted(set(workdays))
        self.start, self.end = start_hour, min(end_hour, 24.0)
        self.length = self.end - self.start
        self.always = self.length >= 24 and len(days) == 7
        self.days = days
        self.is_workday = [d in days for d in range(7)]
        # working hours in the week before each weekday starts
        self.before = [sum(self.length for x in days if x < d) for d in range(8)]
        self.per_week = self.length * len(days)

    def worked(self, t: float) -> float:
        """Working hours in ``[0, t)``."""
        if self.always:
            return t
        weeks = math.floor(t / WEEK)
        r = t - weeks * WEEK
        d = min(int(r // 24), 6)
        within = 0.0
        if self.is_workday[d]:
            within = min(max(r - d * 24 - self.start, 0.0), self.length)
        return weeks * self.per_week + self.before[d] + within

    def at(self, worked: float) -> float:
        """Earliest time by which ``worked`` working hours have elapsed (inverse of worked)."""
        if self.always:
            return worked
        weeks = math.floor(worked / self.per_week)
        rem = worked - weeks * self.per_week
        k = int(rem // self.length)
        part = rem - k * self.length
        if part <= 0.0 and (k > 0 or weeks > 0):
            # exactly at the end of a shift: the previous workday's closing time
            if k == 0:
                weeks, k = weeks - 1, len(self.days)
            return weeks * WEEK + self.days[k - 1] * 24 + self.end
        return weeks * WEEK + self.days[k] * 24 + self.start + part

    def add(self, t: float, hours: float) -> float:
        """When ``hours`` of work begun at ``t`` are done (waiting for the next shift if closed)."""
        if self.always:
            return t + hours
        if hours <= 0.0:
            return self.next_open(t)
        # most work (minutes to hours) begins and ends inside one open shift: plain addition
        r = t % WEEK
        d = int(r // 24)
        within = r - d * 24
        if (d < 7 and self.is_workday[d] and within >= self.start
                and within + hours <= self.end):
            return t + hours
        return self.at(self.worked(t) + hours)

    def next_open(self, t: float) -> float:
        """``t`` if the calendar is open at ``t``, else the next opening."""
        if self.always:
            return t
        weeks = math.floor(t / WEEK)
        r = t - weeks * WEEK
        d = min(int(r // 24), 6)
        h = r - d * 24
        if self.is_workday[d] and h < self.end:
            return weeks * WEEK + d * 24 + max(h, self.start)
        for nd in range(d + 1, d + 8):
            if self.is_workday[nd % 7]:
                return (weeks + nd // 7) * WEEK + (nd % 7) * 24 + self.start
        raise ValueError("a calendar needs at least one workday")

    def next_close(self, t: float) -> float:
        """The end of the open interval containing ``t``, or of the next one."""
        if self.always:
            return math.inf
        o = self.next_open(t)
        return math.floor(o / 24.0) * 24.0 + self.end

    def complement(self) -> Calendar:
        """Interim: open round the clock (replaced by the interval calendar)."""
        return ALWAYS

    def is_open(self, t: float) -> bool:
        """Whether ``t`` falls in working hours."""
        return self.next_open(t) == t


ALWAYS = Calendar(0.0, 24.0, range(7))


@lru_cache(maxsize=64)
def calendar(start_hour: float, end_hour: float, workdays: tuple[int, ...]) -> Calendar:
    """A shared calendar per distinct pattern."""
    return Calendar(start_hour, end_hour, workdays)
