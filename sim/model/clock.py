"""Working-hours calendars: deadlines and shifts run on the clock of who does the work.

Simulation time is in hours from day 0 = :data:`EPOCH_DATE` (2024-01-01, a Monday) 00:00,
China Standard Time. A calendar opens one shift on each of its working days, from
``start_hour`` to ``end_hour`` of that day — past midnight into the next day when
``end_hour`` > 24. Its working days are the weekdays in ``workdays`` or, when it observes a
:class:`Holidays` table, those weekdays less public holidays, plus make-up working days
(调休上班) whatever their weekday.

A calendar is a sorted list of open intervals with the working hours before and after each,
made lazily as queries reach further (deadlines fall well past a run's end) and searched by
bisection. ``add`` sits on the model's hottest path and most work begins and ends inside one
open interval, so it first tries the interval of its last answer: then it is three
comparisons and an addition.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.config.calendar import HolidayCalendar

EPOCH_DATE = date(2024, 1, 1)  # day 0 of every run, a Monday; runs never read the wall clock
WEEK = 168.0
_INF = math.inf
_TOUCH = 1e-9  # shifts this close are one open interval (a 24-hour shift after another)


def day_index(d: date) -> int:
    """The simulation day of a calendar date (day 0 is :data:`EPOCH_DATE`)."""
    return (d - EPOCH_DATE).days


def day_date(day: int) -> date:
    """The calendar date of simulation day ``day``."""
    return EPOCH_DATE + timedelta(days=day)


@dataclass(frozen=True)
class Holidays:
    """Public holidays and make-up working days as simulation days, and the years covered.

    Hashable, so calendars built with equal tables are shared by :func:`calendar`. Days the
    table does not cover are ordinary days."""

    off: frozenset[int]  # public holidays (放假): no shift starts on them
    on: frozenset[int]  # make-up working days (调休上班): a shift starts whatever the weekday
    spans: tuple[tuple[int, int], ...]  # covered days, as sorted [first, end) ranges

    @classmethod
    def from_config(cls, cfg: HolidayCalendar) -> Holidays:
        """The table of a validated holiday calendar file."""
        years = sorted(cfg.years)
        return cls(
            off=frozenset(day_index(d) for y in years for d in cfg.years[y].holidays),
            on=frozenset(day_index(d) for y in years for d in cfg.years[y].makeup_days),
            spans=tuple((day_index(date(y, 1, 1)), day_index(date(y + 1, 1, 1)))
                        for y in years))

    def covers(self, first_day: int, end_day: int) -> bool:
        """Whether the table covers every day in ``[first_day, end_day)``."""
        day = first_day
        for a, b in self.spans:
            if a <= day < b:
                day = b
        return day >= end_day

    @property
    def end_day(self) -> int:
        """The first day after which every day is ordinary."""
        return max((b for _, b in self.spans), default=0)


def holidays_of(cfg: HolidayCalendar | None) -> Holidays | None:
    """The holiday table of a scenario's calendar file, if it names one."""
    return None if cfg is None else Holidays.from_config(cfg)


def _shifts(start: float, end: float, workdays: Iterable[int],
            holidays: Holidays | None) -> Iterator[tuple[float, float]]:
    """Open intervals in time order (touching shifts merged), from time 0.

    Day -1's shift is included: a night shift that began on the Sunday before day 0 is still
    running at time 0. A calendar open round the clock every ordinary day ends in one interval
    running for ever once the holiday table ends."""
    is_workday = [d in workdays for d in range(7)]
    off = holidays.off if holidays else frozenset()
    on = holidays.on if holidays else frozenset()
    ordinary_from = holidays.end_day if holidays else -1
    full = end - start >= 24 and all(is_workday)
    pending: tuple[float, float] | None = None
    day = -1
    while True:
        base = day * 24.0
        s, e = max(base + start, 0.0), base + end
        if full and day >= ordinary_from:
            if pending is not None and s - pending[1] <= _TOUCH:
                s = pending[0]
            elif pending is not None:
                yield pending
            yield s, _INF
            return
        if e > s and (day in on or (is_workday[day % 7] and day not in off)):
            if pending is not None and s - pending[1] <= _TOUCH:
                pending = (pending[0], e)
            else:
                if pending is not None:
                    yield pending
                pending = (s, e)
        day += 1


def _gaps(cal: Calendar) -> Iterator[tuple[float, float]]:
    """The closed intervals of ``cal`` from time 0, in time order."""
    prev, i = 0.0, 0
    while True:
        s, e = cal._interval(i)
        if s > prev:
            yield prev, s
        if e == _INF:
            return
        prev, i = e, i + 1


class Calendar:
    """Open from ``start_hour`` to ``end_hour`` (up to ``start_hour + 24``) on each working
    day: weekdays in ``workdays`` (0 = Monday), less the public holidays of ``holidays`` and
    plus its make-up working days.

    ``per_week`` is the nominal working hours of an ordinary week (for shares of effort);
    ``always`` is True for a calendar open at every hour."""

    def __init__(self, start_hour: float, end_hour: float, workdays: Iterable[int],
                 holidays: Holidays | None = None) -> None:
        days = sorted(set(workdays))
        length = end_hour - start_hour
        if not days or days[0] < 0 or days[-1] > 6:
            raise ValueError("a calendar needs workdays among 0..6")
        if not 0 < length <= 24 + _TOUCH:
            raise ValueError(f"a shift lasts more than 0 and at most 24 hours, not {length}")
        length = min(length, 24.0)  # start + 24 - start may round above 24
        self.holidays = holidays
        self.per_week = length * len(days)
        self.always = self.per_week >= WEEK and holidays is None
        self._open(_shifts(start_hour, start_hour + length, days, holidays))
        self._complement: Calendar | None = None

    def _open(self, intervals: Iterator[tuple[float, float]]) -> None:
        self._source = intervals
        self._done = False
        self._starts: list[float] = []
        self._ends: list[float] = []
        self._before: list[float] = []  # working hours before each interval
        self._after: list[float] = []  # working hours by each interval's end
        self._pull()
        # the interval of the last answer of ``add``: most calls start and end inside it
        self._lo, self._hi = self._starts[0], self._ends[0]

    def _pull(self) -> bool:
        """Append the next open interval; False once there is none. A calendar that never
        opens again ends with the empty interval at infinity."""
        if self._done:
            return False
        nxt = next(self._source, None)
        if nxt is None:
            self._done = True
            if self._ends and self._ends[-1] == _INF:
                return False
            nxt = (_INF, _INF)
        s, e = nxt
        before = self._after[-1] if self._after else 0.0
        self._starts.append(s)
        self._ends.append(e)
        self._before.append(before)
        self._after.append(_INF if e == _INF else before + (e - s))
        return True

    def _extend(self, t: float) -> None:
        """Make intervals until one ends after ``t``."""
        if not math.isfinite(t):
            raise ValueError(f"no working time at {t}")
        while not t < self._ends[-1] and self._pull():
            pass

    def _index(self, t: float) -> int:
        """The open interval containing ``t``, or the next one if closed at ``t``."""
        if not t < self._ends[-1]:
            self._extend(t)
        return bisect_right(self._ends, t)

    def _interval(self, i: int) -> tuple[float, float]:
        while len(self._starts) <= i:
            if not self._pull():
                raise IndexError(i)
        return self._starts[i], self._ends[i]

    def worked(self, t: float) -> float:
        """Working hours in ``[0, t)``."""
        i = self._index(t)
        s = self._starts[i]
        return self._before[i] + (t - s if t > s else 0.0)

    def at(self, worked: float) -> float:
        """Earliest time by which ``worked`` working hours have elapsed (inverse of worked):
        a shift's closing time, not the next opening, when they end exactly with a shift."""
        after = self._after
        if not worked <= after[-1]:
            if not math.isfinite(worked):
                raise ValueError(f"no time has {worked} working hours")
            while not worked <= after[-1] and self._pull():
                pass
        i = bisect_left(after, worked)
        return self._starts[i] + (worked - self._before[i])

    def add(self, t: float, hours: float) -> float:
        """When ``hours`` of work begun at ``t`` are done (waiting for the next shift if closed).

        ``hours`` <= 0 is the next opening (work that takes no time still waits for a shift)."""
        if hours > 0.0 and self._lo <= t and t + hours <= self._hi:
            return t + hours
        if hours <= 0.0:
            return self.next_open(t)
        i = self._index(t)
        starts, ends = self._starts, self._ends
        s = starts[i]
        begin = t if t > s else s  # work begun off shift starts with the next one
        if begin + hours <= ends[i]:
            self._lo, self._hi = s, ends[i]
            return begin + hours
        done = self.at(self._before[i] + (begin - s) + hours)
        # the next job most likely starts where this one ended: remember that interval
        j = bisect_left(ends, done)
        self._lo, self._hi = starts[j], ends[j]
        return done

    def next_open(self, t: float) -> float:
        """``t`` if the calendar is open at ``t``, else the next opening."""
        if self._lo <= t < self._hi:
            return t
        s = self._starts[self._index(t)]
        return s if s > t else t

    def next_close(self, t: float) -> float:
        """The end of the open interval containing ``t`` (of the next one if closed)."""
        return self._ends[self._index(t)]

    def is_open(self, t: float) -> bool:
        """Whether ``t`` falls in working hours."""
        return self._lo <= t < self._hi or self._starts[self._index(t)] <= t

    def complement(self) -> Calendar:
        """A calendar open exactly when this one is closed: who is on duty outside these hours
        (its ``per_week`` is the rest of the week's hours)."""
        if self._complement is None:
            other = Calendar.__new__(Calendar)
            other.holidays = self.holidays
            other.per_week = WEEK - self.per_week
            other.always = False
            other._open(_gaps(self))
            other._complement = self
            self._complement = other
        return self._complement


ALWAYS = Calendar(0.0, 24.0, range(7))


def calendar(start_hour: float, end_hour: float, workdays: tuple[int, ...],
             holidays: Holidays | None = None) -> Calendar:
    """A shared calendar per distinct pattern (``end_hour`` past 24 runs into the next day)."""
    return _shared(start_hour, end_hour, workdays, holidays)  # one cache key however called


_shared = lru_cache(maxsize=64)(Calendar)
