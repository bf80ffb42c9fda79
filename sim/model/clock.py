"""Working-hours calendars: deadlines and shifts run on the clock of who does the work.

Simulation time is in hours from Monday 00:00 of day 0. A calendar is a weekly pattern of open
intervals; ``add(t, h)`` is when ``h`` working hours starting at ``t`` are done.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from functools import lru_cache

WEEK = 168.0


class Calendar:
    """A weekly working-hours pattern (identical on each listed weekday)."""

    def __init__(self, start_hour: float, end_hour: float, workdays: Sequence[int]) -> None:
        days = sorted(set(workdays))
        self.always = end_hour - start_hour >= 24 and len(days) == 7
        self.opens = [d * 24 + start_hour for d in days]
        self.closes = [d * 24 + end_hour for d in days]
        self.cum = [0.0]
        for o, c in zip(self.opens, self.closes, strict=True):
            self.cum.append(self.cum[-1] + c - o)
        self.per_week = self.cum[-1]

    def worked(self, t: float) -> float:
        """Working hours in ``[0, t)``."""
        if self.always:
            return t
        weeks = math.floor(t / WEEK)
        r = t - weeks * WEEK
        i = bisect.bisect_right(self.opens, r) - 1
        within = 0.0 if i < 0 else self.cum[i] + min(r, self.closes[i]) - self.opens[i]
        return weeks * self.per_week + within

    def at(self, worked: float) -> float:
        """Earliest time by which ``worked`` working hours have elapsed (inverse of worked)."""
        if self.always:
            return worked
        weeks = math.floor(worked / self.per_week)
        rem = worked - weeks * self.per_week
        if rem <= 0.0 and weeks > 0:  # exactly at a week boundary: end of last week's shift
            return (weeks - 1) * WEEK + self.closes[-1]
        i = max(0, bisect.bisect_left(self.cum, rem) - 1)
        return weeks * WEEK + self.opens[i] + (rem - self.cum[i])

    def add(self, t: float, hours: float) -> float:
        """When ``hours`` of work begun at ``t`` are done (waiting for the next shift if closed)."""
        if self.always:
            return t + hours
        if hours <= 0.0:
            return self.next_open(t)
        return self.at(self.worked(t) + hours)

    def next_open(self, t: float) -> float:
        """``t`` if the calendar is open at ``t``, else the next opening."""
        if self.always:
            return t
        weeks = math.floor(t / WEEK)
        r = t - weeks * WEEK
        for o, c in zip(self.opens, self.closes, strict=True):
            if r < c:
                return weeks * WEEK + max(r, o)
        return (weeks + 1) * WEEK + self.opens[0]

    def is_open(self, t: float) -> bool:
        """Whether ``t`` falls in working hours."""
        return self.next_open(t) == t


ALWAYS = Calendar(0.0, 24.0, range(7))


@lru_cache(maxsize=64)
def calendar(start_hour: float, end_hour: float, workdays: tuple[int, ...]) -> Calendar:
    """A shared calendar per distinct pattern."""
    return Calendar(start_hour, end_hour, workdays)
