"""MSER-5 on series with a known transient, and the growing-backlog rule on synthetic backlogs."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.metrics.stability import backlog_trends
from sim.metrics.warmup import mser_truncation, suggest_warmup

N = 2000
TAU = 50.0  # observations


@pytest.mark.parametrize("seed", range(8))
def test_mser5_cuts_an_exponential_transient_near_its_end(seed: int) -> None:
    # the bias 100·e^(−t/τ) sinks below the noise (sd 10) at τ·ln 10 ≈ 2.3τ and is gone by 5τ
    rng = np.random.default_rng(seed)
    t = np.arange(N)
    x = 100 * (1 - np.exp(-t / TAU)) + rng.normal(0, 10, N)
    cut, at_limit = mser_truncation(x)
    assert 2 * TAU <= cut <= 6 * TAU and not at_limit
    assert cut % 5 == 0  # batches of five


@pytest.mark.parametrize("seed", range(8))
def test_mser5_keeps_a_stationary_series_whole(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    cut, at_limit = mser_truncation(rng.normal(50, 10, N))
    assert cut <= 0.05 * N and not at_limit


def test_mser5_on_a_growing_series_runs_to_the_limit() -> None:
    rng = np.random.default_rng(0)
    cut, at_limit = mser_truncation(np.arange(N) * 0.5 + rng.normal(0, 10, N))
    assert at_limit and cut == (N // 5 // 2) * 5


def _table(series: dict[str, np.ndarray]) -> pa.Table:
    hours = {tier: np.arange(x.size, dtype=float) for tier, x in series.items()}
    return pa.table({"t_hours": np.concatenate(list(hours.values())),
                     "tier": np.concatenate([[t] * x.size for t, x in series.items()]),
                     "backlog": np.concatenate(list(series.values())).astype(np.int32)})


def test_suggestion_is_the_slowest_tier_in_days() -> None:
    rng = np.random.default_rng(3)
    t = np.arange(30 * 24)
    slow = 200 * (1 - np.exp(-t / 48.0)) + rng.normal(0, 5, t.size)  # settles in days
    flat = rng.normal(20, 5, t.size)
    w = suggest_warmup(_table({"county": np.maximum(slow, 0), "grid": np.maximum(flat, 0)}),
                       used_days=1.0)
    assert w["by_tier"]["grid"] <= 1.0 < w["by_tier"]["county"]
    assert w["suggested_days"] == w["by_tier"]["county"] <= 15
    assert w["short"] and w["at_limit"] == []


@settings(deadline=None, max_examples=60)
@given(week=st.lists(st.floats(0, 5000), min_size=7, max_size=7),
       days=st.integers(8, 60), phase=st.integers(0, 6))
def test_a_weekly_cycle_alone_is_no_growth(week: list[float], days: int, phase: int) -> None:
    """However large the weekend peak and wherever the window starts in the week."""
    daily = np.asarray(week)[(np.arange(days) + phase) % 7]
    hourly = np.repeat(daily, 24)
    trend = backlog_trends(_table({"county": np.round(hourly)}), 0.0, days * 24.0)["county"]
    assert not trend["growing"]


def test_a_linear_growth_over_a_weekly_cycle_is_flagged() -> None:
    rng = np.random.default_rng(1)
    days = 14
    daily = 240 * np.arange(days) + np.tile([50, 40, 30, 30, 40, 400, 900], 2)
    hourly = np.repeat(daily, 24) + rng.normal(0, 30, days * 24)
    trend = backlog_trends(_table({"county": np.maximum(hourly, 0)}), 0.0, days * 24.0)
    assert trend["county"]["growing"] and trend["county"]["slope_per_day"] == pytest.approx(
        240, rel=0.2)
    # a week is too short to tell growth from the weekly cycle: no verdict
    assert backlog_trends(_table({"county": np.maximum(hourly, 0)}), 0.0, 7 * 24.0) == {}
