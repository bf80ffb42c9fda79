"""Replication statistics against scipy and hand-worked values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from sim.planning.stats import holm, paired, summarise, welch


def test_summary_is_the_t_interval() -> None:
    x = [0.91, 0.93, 0.92, 0.95, 0.90]
    s = summarise(x)
    lo, hi = sps.t.interval(0.95, len(x) - 1, loc=np.mean(x), scale=sps.sem(x))
    assert (s.n, s.mean) == (5, pytest.approx(np.mean(x)))
    assert (s.lo, s.hi) == (pytest.approx(lo), pytest.approx(hi))


def test_summary_drops_missing_runs_and_needs_two() -> None:
    assert summarise([1.0, math.nan, 3.0]).n == 2
    one = summarise([2.0])
    assert one.mean == 2.0 and math.isnan(one.lo)
    assert math.isnan(summarise([]).mean)


def test_paired_matches_scipy_and_pairs_by_seed() -> None:
    a = [0.90, 0.92, 0.88, 0.91, 0.93]
    b = [0.92, 0.95, 0.89, 0.94, 0.95]
    d = paired(a, b)
    assert d.p == pytest.approx(sps.ttest_rel(b, a).pvalue)
    assert d.lo < d.diff < d.hi and d.diff == pytest.approx(0.022)


def test_paired_identical_and_constant_shift() -> None:
    assert paired([1, 2, 3], [1, 2, 3]).p == 1.0
    shifted = paired([1, 2, 3], [2, 3, 4])
    assert shifted.p == 0.0 and shifted.diff == 1.0


def test_welch_matches_scipy() -> None:
    a, b = [1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0, 9.0, 7.0]
    d = welch(a, b)
    assert d.p == pytest.approx(sps.ttest_ind(b, a, equal_var=False).pvalue)


def test_holm_by_hand() -> None:
    # sorted p: 0.01 (×3), 0.02 (×2), 0.04 (×1), made monotone; NaN stays out
    assert holm([0.04, 0.01, math.nan, 0.02]) == pytest.approx([0.04, 0.03, math.nan, 0.04],
                                                                nan_ok=True)
