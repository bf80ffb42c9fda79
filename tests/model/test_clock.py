"""The working-hours clock against a day-by-day reference; holidays; night shifts; duty."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.config import load_part
from sim.config.staffing import Shift
from sim.metrics.records import EPOCH
from sim.model.clock import (
    ALWAYS,
    EPOCH_DATE,
    Calendar,
    Holidays,
    calendar,
    day_date,
    day_index,
    holidays_of,
)
from sim.model.deadline import DeadlinePolicy
from sim.model.engine import Model
from sim.world import generate_world
from tests.conftest import SCENARIOS
from tests.model.conftest import small_scenario

HORIZON_DAYS = 1200  # far enough for every query below on every calendar drawn
WEEKDAYS = (0, 1, 2, 3, 4)
CN = Holidays.from_config(load_part("holidays", SCENARIOS / "calendars/cn-public-holidays.toml"))
OFFICE = Calendar(8.5, 17.5, WEEKDAYS)

Intervals = list[tuple[float, float]]


def reference(start: float, end: float, workdays: set[int], off: frozenset[int] = frozenset(),
              on: frozenset[int] = frozenset()) -> Intervals:
    """Open intervals the obvious way: walk the days from the one before day 0, keep each
    working day's shift (cut at time 0), join shifts that touch."""
    out: Intervals = []
    for day in range(-1, HORIZON_DAYS):
        if day in on or (day % 7 in workdays and day not in off):
            s, e = max(day * 24 + start, 0.0), day * 24 + end
            if e <= s:
                continue
            if out and s <= out[-1][1] + 1e-9:
                out[-1] = (out[-1][0], e)
            else:
                out.append((s, e))
    return out


def ref_worked(iv: Intervals, t: float) -> float:
    return sum(min(t, e) - s for s, e in iv if s < t)


def ref_open(iv: Intervals, t: float) -> bool:
    return any(s <= t < e for s, e in iv)


@st.composite
def calendars(draw: st.DrawFn) -> tuple[Calendar, Intervals]:
    """A calendar (day or night shift, maybe round the clock, maybe with holidays in its first
    two months) and its reference intervals."""
    start = draw(st.integers(0, 95)) / 4  # quarter hours: no float noise at midnight
    length = draw(st.one_of(st.floats(0.5, 24), st.just(24.0)))
    days = draw(st.sets(st.integers(0, 6), min_size=1))
    off: frozenset[int] = frozenset()
    on: frozenset[int] = frozenset()
    holidays = None
    if draw(st.booleans()):
        off = frozenset(draw(st.sets(st.integers(-1, 60), max_size=20)))
        on = frozenset(draw(st.sets(st.integers(-1, 60), max_size=6))) - off
        holidays = Holidays(off, on, ((0, 61),))
    cal = Calendar(start, start + length, sorted(days), holidays)
    return cal, reference(start, start + length, days, off, on)


TIMES = st.floats(0, 24 * 80)
HOURS = st.floats(0.01, 40)


@settings(deadline=None)
@given(c=calendars(), t=TIMES)
def test_worked_matches_the_reference(c, t) -> None:
    cal, iv = c
    assert cal.worked(t) == pytest.approx(ref_worked(iv, t), abs=1e-6)
    assert cal.is_open(t) == ref_open(iv, t)


@settings(deadline=None)
@given(c=calendars(), w=HOURS)
def test_at_is_the_earliest_time_with_that_much_work(c, w) -> None:
    cal, iv = c
    t = cal.at(w)
    assert cal.worked(t) == pytest.approx(w, abs=1e-6)
    assert ref_worked(iv, t) == pytest.approx(w, abs=1e-6)
    assert ref_worked(iv, t - 1e-4) < w


@settings(deadline=None)
@given(c=calendars(), t=TIMES, h=HOURS)
def test_add_does_exactly_the_work(c, t, h) -> None:
    cal, iv = c
    end = cal.add(t, h)
    assert end >= t + h - 1e-9
    assert ref_worked(iv, end) - ref_worked(iv, t) == pytest.approx(h, abs=1e-6)
    assert cal.worked(end) - cal.worked(t) == pytest.approx(h, abs=1e-6)
    assert ref_worked(iv, end - 1e-4) - ref_worked(iv, t) < h  # not a moment later than needed
    assert cal.add(t, h) == end  # the remembered interval changes nothing


@settings(deadline=None)
@given(c=calendars(), t=TIMES)
def test_next_open_and_next_close(c, t) -> None:
    cal, iv = c
    o, close = cal.next_open(t), cal.next_close(t)
    assert o >= t and ref_open(iv, o)
    assert o == t or all(e <= t or s >= o for s, e in iv), "open between t and next_open"
    # [o, close) is one whole open interval, closed at its end (or open for ever)
    e = next(e for s, e in iv if s <= o < e)
    if close == float("inf"):
        assert e == iv[-1][1] > (HORIZON_DAYS - 2) * 24
    else:
        assert close == pytest.approx(e, abs=1e-9) and not ref_open(iv, close)
    assert cal.add(t, 0.0) == o


@settings(deadline=None)
@given(c=calendars(), t=TIMES)
def test_complement_is_open_exactly_when_the_calendar_is_closed(c, t) -> None:
    cal, _ = c
    duty = cal.complement()
    assert duty.complement() is cal and cal.complement() is duty
    assert cal.is_open(t) != duty.is_open(t)
    assert cal.worked(t) + duty.worked(t) == pytest.approx(t, abs=1e-6)
    assert duty.per_week == pytest.approx(168 - cal.per_week)
    if cal.is_open(t):
        assert duty.next_open(t) == cal.next_close(t)
    else:
        assert cal.next_open(t) == duty.next_close(t)


def test_office_week() -> None:
    assert OFFICE.per_week == 45
    assert OFFICE.add(17.0, 1.0) == 24 + 9.0  # Monday 17:00 + 1 h → Tuesday 09:00
    assert OFFICE.add(4 * 24 + 17.0, 1.0) == 168 + 9.0  # Friday → Monday
    assert OFFICE.at(9.0) == 17.5  # a shift's close, not the next opening
    assert ALWAYS.add(5.0, 100.0) == 105.0 and ALWAYS.always and not OFFICE.always
    assert ALWAYS.complement().next_open(3.0) == float("inf")  # never off duty


def test_night_shifts_cross_midnight_and_count_fully() -> None:
    night = Calendar(22.0, 30.0, WEEKDAYS)  # 22:00–06:00, starting Monday to Friday
    assert night.per_week == 40
    assert night.worked(168.0) == 40  # Friday's shift ends Saturday 06:00, inside the week
    assert night.is_open(5 * 24 + 5.5) and not night.is_open(5 * 24 + 6.0)  # Saturday
    assert night.next_close(22.0) == 30.0
    assert night.add(23.0, 8.0) == 24 + 23.0  # 7 h on Monday's shift, 1 h on Tuesday's
    every = Calendar(20.0, 32.0, range(7))  # the Sunday before day 0 is still on at time 0
    assert every.worked(8.0) == 8.0 and every.worked(24.0) == 12.0
    shift = Shift(hours_per_day=12, workdays=[0, 1, 2, 3, 4, 5, 6], start_hour=20)
    assert shift.start_hour + shift.hours_per_day == 32


def test_touching_24_hour_shifts_are_one_interval() -> None:
    cal = Calendar(6.0, 30.0, (0, 1, 2))  # Monday 06:00 to Thursday 06:00 without a break
    assert cal.next_close(10.0) == 3 * 24 + 6.0
    assert cal.add(6.0, 72.0) == 78.0
    every = Calendar(6.0, 30.0, range(7), CN)  # no shift starts on Jan 1 or in Spring Festival
    assert every.is_open(5.0) and every.next_open(10.0) == 30.0
    assert every.next_close(10.0) == day_index(date(2024, 2, 10)) * 24 + 6.0


def test_epoch_is_a_monday_defined_once() -> None:
    assert date(2024, 1, 1) == EPOCH_DATE and EPOCH_DATE.weekday() == 0
    assert EPOCH.date() == EPOCH_DATE and EPOCH.utcoffset().total_seconds() == 8 * 3600
    assert day_index(date(2024, 10, 1)) == 274 and day_date(274) == date(2024, 10, 1)


def _hours_on(cal: Calendar, d: date) -> float:
    day = day_index(d)
    return cal.worked((day + 1) * 24.0) - cal.worked(day * 24.0)


def test_public_holidays_and_make_up_days_2024() -> None:
    office = calendar(8.5, 16.5, WEEKDAYS, CN)  # the full-time shift, 8 h a day
    assert calendar(8.5, 16.5, WEEKDAYS, CN) is office  # equal tables share a calendar
    for day in range(1, 8):
        assert _hours_on(office, date(2024, 10, day)) == 0  # National Day
    for day in range(10, 18):
        assert _hours_on(office, date(2024, 2, day)) == 0  # Spring Festival
    assert _hours_on(office, date(2024, 9, 29)) == 8  # a Sunday worked (调休上班)
    assert _hours_on(office, date(2024, 1, 1)) == 0 and _hours_on(office, date(2024, 1, 2)) == 8
    plain = calendar(8.5, 16.5, WEEKDAYS)
    assert _hours_on(plain, date(2024, 10, 1)) == 8 and _hours_on(plain, date(2024, 9, 29)) == 0
    # the office's open hours in 2024: weekdays less holidays on weekdays plus make-up days
    year = day_index(date(2025, 1, 1))
    assert office.worked(year * 24.0) == 8 * (262 - 19 + 8)


def test_holiday_coverage() -> None:
    assert CN.covers(0, day_index(date(2027, 1, 1)))
    assert not CN.covers(0, day_index(date(2027, 1, 2)))
    assert not CN.covers(-1, 10)  # 2023-12-31 is not covered
    beyond = calendar(8.5, 16.5, WEEKDAYS, CN)  # days past the table are ordinary
    assert _hours_on(beyond, date(2027, 1, 1)) == 8  # a Friday


def test_scenario_clocks_observe_holidays_unless_told_not_to() -> None:
    s = small_scenario("jiangsu", "staffing.shifts.department.observes_holidays=false",
                       "rules.deadlines.clock_urban.observes_holidays=false")
    assert holidays_of(s.holidays) == CN
    m = Model(s, generate_world(s), days=1, seed=1)
    national_day = date(2024, 10, 1)
    observing = [p.cal for p in m.teams.pools] + [
        p.cal for pools in m.centres.pools.values() for p in pools]
    assert observing and all(_hours_on(cal, national_day) == 0 for cal in observing)
    assert all(_hours_on(p.cal, national_day) == 8 for p in m.departments.pools.values())
    assert _hours_on(m.deadlines.urban, national_day) == 9
    assert _hours_on(m.deadlines.rural, national_day) == 0
    assert DeadlinePolicy(s.rules).rural is calendar(8.0, 18.0, WEEKDAYS)  # no table: plain
