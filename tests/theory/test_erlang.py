"""Erlang B/C, M/M/c and M/M/1 against published examples and independent formulas."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from sim.theory import (
    erlang_b,
    erlang_c,
    little_l,
    mm1_mean_queue_length,
    mm1_mean_sojourn,
    mm1_mean_wait,
    mm1_service_level,
    mmc_mean_queue_length,
    mmc_mean_sojourn,
    mmc_mean_wait,
    mmc_service_level,
)


def erlang_c_factorials(c: int, a: Fraction) -> Fraction:
    """The textbook Erlang C formula, evaluated exactly with factorials (only for small c)."""
    top = a**c / math.factorial(c) * Fraction(c) / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def test_call_centre_worked_example() -> None:
    """Call Centre Helper, "Erlang C Formula – Made Simple with an Easy Worked Example".

    100 calls per 30 minutes, average handling time 180 s, target 80 % answered in 20 s:
    a = 10 Erlangs; 14 agents give P(wait) = 17.4 %, service level 88.8 %, ASA 7.8 s, while
    13 agents only reach 79.6 %.
    """
    lam, mu = 100 / 1800, 1 / 180  # per second
    assert erlang_c(14, lam / mu) == pytest.approx(0.1741, abs=1e-4)
    assert mmc_service_level(lam, mu, 14, 20) == pytest.approx(0.8884, abs=1e-4)
    assert mmc_service_level(lam, mu, 13, 20) == pytest.approx(0.7956, abs=1e-4)
    assert mmc_mean_wait(lam, mu, 14) == pytest.approx(7.84, abs=0.01)


def test_erlang_c_calculator_example() -> None:
    """Erlang C calculator manual (V. Ruiz, personal.telefonica.terra.es/web/vr/erlang).

    600 calls per hour of 120 s = 20 Erlangs: 26 agents are the fewest keeping the delay
    probability under 15 %, with about 3 s average delay per call; 30 agents give 2.5 %.
    """
    assert erlang_c(25, 20) > 0.15 > erlang_c(26, 20)
    assert mmc_mean_wait(600, 30, 26) * 3600 == pytest.approx(2.87, abs=0.01)  # seconds
    assert erlang_c(30, 20) == pytest.approx(0.025, abs=5e-4)


@pytest.mark.parametrize(
    ("c", "a", "blocking"),
    [
        # Published Erlang B tables (e.g. those appended to V. B. Iversen, "Teletraffic
        # Engineering and Network Planning", DTU): the load 10 and 20 circuits carry at 1 %
        # blocking, and the blocking of 5 E offered to 10 circuits.
        (10, 4.461, 0.01),
        (20, 12.031, 0.01),
        (10, 5.0, 0.01838),
    ],
)
def test_erlang_b_table_values(c: int, a: float, blocking: float) -> None:
    """Erlang B matches the published loss tables to their printed precision."""
    assert erlang_b(c, a) == pytest.approx(blocking, abs=5e-5)


@given(c=st.integers(1, 30), load=st.fractions(Fraction(1, 100), Fraction(99, 100)))
def test_erlang_c_matches_factorial_formula(c: int, load: Fraction) -> None:
    """The stable recursion agrees with the exact factorial formula for small c."""
    a = load * c
    assert erlang_c(c, float(a)) == pytest.approx(float(erlang_c_factorials(c, a)), rel=1e-9)


@pytest.mark.parametrize(("c", "a"), [(1, 0.5), (50, 45.0), (1000, 950.0), (20000, 19800.0)])
def test_erlang_b_matches_scipy_poisson(c: int, a: float) -> None:
    """B(c, a) is the Poisson(a) probability of c given at most c, computed here by scipy."""
    expected = math.exp(stats.poisson.logpmf(c, a) - stats.poisson.logcdf(c, a))
    assert erlang_b(c, a) == pytest.approx(expected, rel=1e-9)


def test_large_pools_stay_finite() -> None:
    """No overflow for c far beyond what factorials allow (170! overflows a double)."""
    value = erlang_c(200_000, 199_000.0)
    assert 0 < value < 1


@given(lam=st.floats(0.01, 10), rho=st.floats(0.01, 0.99), t=st.floats(0, 10))
def test_mm1_closed_forms(lam: float, rho: float, t: float) -> None:
    """The M/M/1 functions equal the M/M/1 textbook formulas (Gross et al. 2008, §2.2)."""
    mu = lam / rho
    assert mm1_mean_wait(lam, mu) == pytest.approx(rho / (mu - lam))
    assert mm1_mean_sojourn(lam, mu) == pytest.approx(1 / (mu - lam))
    assert mm1_mean_queue_length(lam, mu) == pytest.approx(rho**2 / (1 - rho))
    assert mm1_service_level(lam, mu, t) == pytest.approx(1 - rho * math.exp(-(mu - lam) * t))


@given(c=st.integers(1, 60), rho=st.floats(0.05, 0.98), mu=st.floats(0.1, 10))
def test_mmc_identities(c: int, rho: float, mu: float) -> None:
    """W = Wq + 1/μ, Lq = λWq (Little) and Lq = C·ρ/(1−ρ) hold together."""
    lam = rho * c * mu
    wq = mmc_mean_wait(lam, mu, c)
    assert mmc_mean_sojourn(lam, mu, c) == pytest.approx(wq + 1 / mu)
    assert mmc_mean_queue_length(lam, mu, c) == pytest.approx(lam * wq)
    assert mmc_mean_queue_length(lam, mu, c) == pytest.approx(
        erlang_c(c, lam / mu) * rho / (1 - rho)
    )
    assert mmc_service_level(lam, mu, c, 0) == pytest.approx(1 - erlang_c(c, lam / mu))


@given(c=st.integers(1, 80), a=st.floats(0.01, 79.0))
def test_waiting_probability_decreases_with_servers(c: int, a: float) -> None:
    """One more server never raises P(wait), nor Erlang B's blocking."""
    assert erlang_c(c + 1, a) <= erlang_c(c, a)
    assert erlang_b(c + 1, a) <= erlang_b(c, a)


@given(c=st.integers(1, 80), a=st.floats(0.01, 79.0), t=st.floats(0, 5))
def test_service_level_increases_with_servers(c: int, a: float, t: float) -> None:
    """One more server never lowers P(Wq <= t)."""
    assert mmc_service_level(a, 1.0, c + 1, t) >= mmc_service_level(a, 1.0, c, t)


def test_unstable_queue_conventions() -> None:
    """At or beyond saturation everyone waits, waits are infinite and no one is on time."""
    assert erlang_c(5, 5.0) == 1.0
    assert mmc_mean_wait(10, 1, 10) == math.inf
    assert mmc_mean_queue_length(12, 1, 10) == math.inf
    assert mmc_service_level(12, 1, 10, 100) == 0.0


def test_little_law() -> None:
    """L = λW, including an infinite W."""
    assert little_l(3.0, 2.5) == 7.5
    assert little_l(3.0, math.inf) == math.inf


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: mmc_mean_wait(0, 1, 2), "arrival rate lam must be"),
        (lambda: mmc_mean_wait(-1, 1, 2), "arrival rate lam must be"),
        (lambda: mmc_mean_wait(1, 0, 2), "service rate mu must be"),
        (lambda: mmc_mean_wait(1, 1, 0), "c must be an integer >= 1"),
        (lambda: mmc_mean_wait(1, 1, 2.5), "c must be an integer >= 1"),
        (lambda: erlang_b(True, 1.0), "c must be an integer >= 0"),
        (lambda: erlang_c(3, math.nan), "offered load a must be"),
        (lambda: mmc_service_level(1, 2, 1, -1), "waiting-time threshold t must be"),
        (lambda: little_l(1, -2), "mean time w must be"),
    ],
)
def test_impossible_inputs_raise(call, message: str) -> None:
    """Impossible inputs raise ValueError naming the argument."""
    with pytest.raises(ValueError, match=message):
        call()
