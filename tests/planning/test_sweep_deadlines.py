"""`gridsim sweep` and `gridsim deadlines` on the small world."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from sim.planning.deadlines import km_cdf, km_quantile
from tests.planning.conftest import DISTRICT, check_report, gridsim, small_args


def test_sweep_one_key_table_and_charts(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    r = gridsim("sweep", DISTRICT, "--vary", "staffing.centres.county=1,4", "--kpi",
                "on_time", "--kpi", "utilisation.centre.county", "--reps", "2", "--days", "3",
                "--processes", "2", "--out", out, "--json", *small_args())
    assert r.exit_code == 0, r.output
    points = json.loads(r.stdout)["points"]
    assert [p["settings"] for p in points] == [{"staffing.centres.county": "1"},
                                                {"staffing.centres.county": "4"}]
    busy = [p["kpis"]["utilisation.centre.county"]["mean"] for p in points]
    assert busy[0] > busy[1]  # four staff share the county's work
    rows = check_report(out, {"sweep": {"variant", "staffing.centres.county",
                                        "on_time.handle", "on_time.handle.lo",
                                        "on_time.handle.hi", "time_to_close.p90"},
                              "runs": {"seed", "staffing.centres.county"}})
    assert len(rows["sweep"]) == 2 and len(rows["runs"]) == 4
    assert (out / "charts" / "sweep_utilisation.centre.county.png").is_file()


def test_sweep_two_keys_is_cartesian(tmp_path: Path) -> None:
    r = gridsim("sweep", DISTRICT, "--vary", "staffing.centres.county=1,2", "--vary",
                "scenario.rules=jiangsu,qingdao", "--reps", "2", "--days", "1",
                "--processes", "1", "--out", tmp_path / "grid", "--json", *small_args())
    assert r.exit_code == 0, r.output
    assert len(json.loads(r.stdout)["points"]) == 4


def test_deadlines_report(tmp_path: Path) -> None:
    out = tmp_path / "deadlines"
    r = gridsim("deadlines", DISTRICT, "--on-time", "0.8", "--reps", "2", "--days", "5",
                "--processes", "2", "--out", out, "--json", *small_args())
    assert r.exit_code == 0, r.output
    cells = json.loads(r.stdout)["cells"]
    rows = check_report(out, {
        "deadlines": {"type", "urgency", "current_deadline_h", "on_time_now",
                      "tightest_deadline_h", "tightest.lo", "tightest.hi", "as_deadline_hours"},
        "by_type": {"type", "deadline_hours", "tightest_deadline_hours"}})
    assert len(rows["deadlines"]) == len(cells) > 5
    routine = [c for c in cells if c["urgency"] == "routine"
               and math.isfinite(c["tightest_hours"]["mean"])]
    assert routine and all(c["tightest_hours"]["mean"] >= 0 for c in routine)


def test_kaplan_meier_quantiles() -> None:
    hours = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    done = np.ones(5, bool)
    assert km_quantile(hours, done, 0.6) == 3.0  # without censoring: the empirical quantile
    assert km_cdf(hours, done, 2.5) == pytest.approx(0.4)
    # a case still open after 1.5 h leaves the risk set: the rest share its probability
    censored = np.array([1.0, 1.5, 2.0, 3.0])
    assert km_cdf(censored, np.array([True, False, True, True]), 2.0) == pytest.approx(0.625)
    # too few finished to reach 90 %: the deadline is beyond what the run can tell
    assert km_quantile(censored, np.array([True, True, False, False]), 0.9) == math.inf
