"""Erlang A (M/M/c+M) against a brute-force Markov-chain solution and its known limits."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import linalg, stats

from sim.theory import erlang_a, erlang_b, erlang_c, mmc_mean_wait, mmc_service_level


def brute_force(lam: float, mu: float, c: int, theta: float, t: float, queue_cap: int = 300):
    """Solve the truncated chain directly: (P(wait), Lq, service level).

    The stationary law comes from the generator's null space (no log-space products), and the
    service level from the matrix exponential of the tagged customer's absorbing chain (no
    incomplete beta), so this shares no numerics with the implementation.
    """
    size = c + queue_cap + 1
    generator = np.zeros((size, size))
    for n in range(size):
        if n + 1 < size:
            generator[n, n + 1] = lam
        if n > 0:
            generator[n, n - 1] = min(n, c) * mu + max(n - c, 0) * theta
        generator[n, n] = -generator[n].sum()
    pi = linalg.null_space(generator.T)[:, 0]
    pi /= pi.sum()
    waiting = pi[c:]
    mean_queue = float(np.arange(waiting.size) @ waiting)

    # Tagged customer: transient state j = customers ahead (0..queue_cap), then "answered"
    # and "abandoned". From j, the queue moves up at cμ + jθ; the customer leaves at θ.
    answered, abandoned = queue_cap + 1, queue_cap + 2
    tagged = np.zeros((queue_cap + 3, queue_cap + 3))
    for j in range(queue_cap + 1):
        tagged[j, j - 1 if j else answered] = c * mu + j * theta
        tagged[j, abandoned] = theta
        tagged[j, j] = -tagged[j].sum()
    answered_by_t = linalg.expm(tagged * t)[: queue_cap + 1, answered]
    service_level = float(pi[:c].sum() + answered_by_t[: waiting.size] @ waiting)
    return float(waiting.sum()), mean_queue, service_level


@pytest.mark.parametrize(
    ("lam", "mu", "c", "theta", "t"),
    [
        (2.5, 1.0, 3, 0.3, 0.7),  # moderately loaded
        (6.0, 1.0, 3, 0.5, 0.4),  # overloaded: only abandonment keeps it stable
        (4.0, 0.5, 10, 2.0, 0.1),  # impatient customers, non-integer cμ/θ
    ],
)
def test_matches_brute_force_chain(lam: float, mu: float, c: int, theta: float, t: float) -> None:
    """Every measure agrees with the directly solved birth–death and tagged-customer chains."""
    p_wait, mean_queue, service_level = brute_force(lam, mu, c, theta, t)
    result = erlang_a(lam, mu, c, theta, t)
    assert result.p_wait == pytest.approx(p_wait, rel=1e-8)
    assert result.mean_queue_length == pytest.approx(mean_queue, rel=1e-8)
    assert result.mean_wait == pytest.approx(mean_queue / lam, rel=1e-8)
    assert result.p_abandon == pytest.approx(theta * mean_queue / lam, rel=1e-8)
    assert result.service_level == pytest.approx(service_level, rel=1e-8)


def test_patience_equal_to_service_is_infinite_server_queue() -> None:
    """With θ = μ every customer leaves at rate μ, so N is Poisson(a) as in M/M/∞.

    (Noted e.g. by Mandelbaum & Zeltyn 2007, §2.)
    """
    lam, mu, c = 7.0, 1.5, 4
    a = lam / mu
    result = erlang_a(lam, mu, c, theta=mu)
    poisson = stats.poisson(a)
    assert result.p_wait == pytest.approx(poisson.sf(c - 1), rel=1e-10)
    expected_queue = sum(k * poisson.pmf(c + k) for k in range(200))
    assert result.mean_queue_length == pytest.approx(expected_queue, rel=1e-10)


@pytest.mark.parametrize(("lam", "c", "t"), [(4.0, 5, 1.0), (45.0, 50, 0.05), (0.5, 1, 2.0)])
def test_patient_customers_give_erlang_c(lam: float, c: int, t: float) -> None:
    """As θ → 0 (for λ < cμ) Erlang A tends to Erlang C."""
    result = erlang_a(lam, 1.0, c, theta=1e-7, t=t)
    assert result.p_wait == pytest.approx(erlang_c(c, lam), abs=1e-4)
    assert result.mean_wait == pytest.approx(mmc_mean_wait(lam, 1.0, c), rel=1e-3)
    assert result.service_level == pytest.approx(mmc_service_level(lam, 1.0, c, t), abs=1e-4)
    assert result.p_abandon < 1e-4


@pytest.mark.parametrize(("lam", "c"), [(4.0, 5), (12.0, 10), (50.0, 40)])
def test_impatient_customers_give_erlang_b(lam: float, c: int) -> None:
    """As θ → ∞ a customer who finds all servers busy leaves at once: Erlang B blocking."""
    result = erlang_a(lam, 1.0, c, theta=1e7, t=1.0)
    blocking = erlang_b(c, lam)
    assert result.p_wait == pytest.approx(blocking, rel=1e-4)
    assert result.p_abandon == pytest.approx(blocking, rel=1e-4)
    assert result.service_level == pytest.approx(1 - blocking, rel=1e-4)
    assert result.mean_wait < 1e-6


@settings(deadline=None)
@given(
    c=st.integers(1, 40),
    load=st.floats(0.1, 2.0),
    theta=st.floats(0.01, 10.0),
    t=st.floats(0.0, 5.0),
)
def test_more_servers_help(c: int, load: float, theta: float, t: float) -> None:
    """One more server never raises P(wait) or P(abandon), nor lowers the service level."""
    lam = load * c
    fewer, more = erlang_a(lam, 1.0, c, theta, t), erlang_a(lam, 1.0, c + 1, theta, t)
    assert more.p_wait <= fewer.p_wait + 1e-12
    assert more.p_abandon <= fewer.p_abandon + 1e-12
    assert more.service_level >= fewer.service_level - 1e-12


def test_service_level_at_zero_is_no_wait() -> None:
    """Answered within 0 means answered on arrival."""
    result = erlang_a(9.0, 1.0, 10, 0.2, t=0.0)
    assert result.service_level == pytest.approx(1 - result.p_wait)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"theta": 0.0}, "abandonment rate theta must be"),
        ({"lam": 0.0}, "arrival rate lam must be"),
        ({"c": 0}, "c must be an integer >= 1"),
        ({"t": -1.0}, "waiting-time threshold t must be"),
        ({"theta": 1e-12, "lam": 20.0}, "too small"),
    ],
)
def test_impossible_inputs_raise(kwargs: dict[str, float], message: str) -> None:
    """Bad arguments, and a patience too long to truncate an overload, raise ValueError."""
    arguments = {"lam": 4.0, "mu": 1.0, "c": 5, "theta": 0.5, "t": 1.0} | kwargs
    with pytest.raises(ValueError, match=message):
        erlang_a(**arguments)
