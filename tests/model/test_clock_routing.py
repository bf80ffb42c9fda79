"""The working-hours clock and the routing table."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.model.clock import Calendar
from sim.model.routing import decide

OFFICE = Calendar(8.5, 17.5, range(5))


@given(t=st.floats(0, 2000), h=st.floats(0.01, 200))
def test_add_is_the_inverse_of_worked(t: float, h: float) -> None:
    end = OFFICE.add(t, h)
    assert end >= t
    assert OFFICE.worked(end) - OFFICE.worked(t) == pytest.approx(h, abs=1e-6)
    assert OFFICE.is_open(end - 1e-6) or OFFICE.worked(end - 1e-3) < OFFICE.worked(end)


@given(t=st.floats(0, 2000))
def test_next_open_is_open_and_not_later_than_needed(t: float) -> None:
    o = OFFICE.next_open(t)
    assert o >= t and OFFICE.is_open(o)
    assert OFFICE.worked(o) == pytest.approx(OFFICE.worked(t), abs=1e-9)


def test_office_week() -> None:
    assert OFFICE.per_week == 45
    assert OFFICE.add(17.0, 1.0) == 24 + 9.0  # Monday 17:00 + 1 h → Tuesday 09:00
    assert OFFICE.add(4 * 24 + 17.0, 1.0) == 168 + 9.0  # Friday → Monday
    assert Calendar(0, 24, range(7)).add(5.0, 100.0) == 105.0


@pytest.mark.parametrize(("tier", "resolve", "dept", "tiers", "linked", "lateral", "above",
                          "expected"), [
    ("township", "township", "police", ("township", "county"), True, True, "county",
     ("dispatch", "police")),  # lateral diversion (001 五.3)
    ("township", "township", "police", ("township", "county"), True, False, "county",
     ("escalate", None)),  # no lateral diversion: townships escalate
    ("township", "county", "civil_affairs", ("county", "city"), True, True, "county",
     ("escalate", None)),
    ("county", "county", "civil_affairs", ("county", "city"), True, True, "city",
     ("dispatch", "civil_affairs")),
    ("township", "township", "urban_management", ("county",), False, True, "county",
     ("escalate", None)),  # not a linked department: reached from the county
    ("county", "township", "urban_management", ("county",), False, True, "city",
     ("dispatch", "urban_management")),
    ("township", "township", None, (), False, True, "county", ("handle", None)),
    ("township", "county", None, (), False, True, "county", ("escalate", None)),
    ("city", "city", None, (), False, True, None, ("handle", None)),
])
def test_routing(tier, resolve, dept, tiers, linked, lateral, above, expected) -> None:
    d = decide(tier, resolve, dept, tiers, linked, lateral, above)
    assert (d.action, d.department) == expected


def _worked_by_days(start: float, end: float, days: set[int], t: float) -> float:
    """Working hours before ``t``, day by day (the obvious way)."""
    total, day = 0.0, 0
    while day * 24 < t:
        if day % 7 in days:
            total += max(0.0, min(t, day * 24 + end) - (day * 24 + start))
        day += 1
    return total


@given(start=st.floats(0, 20), length=st.floats(0.5, 4), days=st.sets(st.integers(0, 6),
       min_size=1), t=st.floats(0, 500), h=st.floats(0.01, 60))
def test_calendar_matches_a_day_by_day_count(start, length, days, t, h) -> None:
    cal = Calendar(start, start + length, sorted(days))
    assert cal.worked(t) == pytest.approx(_worked_by_days(start, start + length, days, t),
                                          abs=1e-6)
    end = cal.add(t, h)
    assert cal.worked(end) - cal.worked(t) == pytest.approx(h, abs=1e-6)
    assert cal.is_open(cal.next_open(t))
