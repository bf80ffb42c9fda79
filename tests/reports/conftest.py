"""A report exercising every feature: Chinese text, markup to escape, all chart helpers."""

from __future__ import annotations

import math
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from reports import Chart, Report, Section, Table, charts, write_report
from reports.charts import save_png

HOSTILE = '<script>alert("x")</script> & 第十九条'


def build_report(png_dir: Path) -> Report:
    """The sample report; ``png_dir`` receives the PNG used as a ready-made chart."""
    rng = np.random.default_rng(7)
    staff = np.arange(8, 16)
    on_time = np.linspace(0.6, 0.97, staff.size)
    ready_made = png_dir / "ready.png"
    save_png(partial(charts.time_series, [0, 1, 2], {"a": [1, 3, 2]}), ready_made, (4.0, 3.0))
    return Report(
        title=f"网格员配置 {HOSTILE}",
        subtitle="江苏 vs 青岛",
        meta={
            "scenario": "scenarios/demo.toml",
            "rules": ["江苏省城乡网格化服务管理办法 第十九条", HOSTILE],
            "seed": 20240601,
        },
        sections=[
            Section(
                heading="按时办结率 <em>",
                text=f"First paragraph.\n\nSecond paragraph with {HOSTILE}.\n",
                charts=[
                    Chart(
                        name="on_time",
                        title="按时办结率 vs 网格员",
                        caption=HOSTILE,
                        draw=partial(
                            charts.line_with_band,
                            staff,
                            on_time,
                            on_time - 0.03,
                            np.minimum(on_time + 0.03, 1),
                            target=0.9,
                            label="Jiangsu",
                            band_label="95 % CI",
                        ),
                    ),
                    Chart(
                        name="kpis",
                        title="KPIs",
                        draw=partial(
                            charts.grouped_bars,
                            ["on-time", "closed"],
                            {"Jiangsu": [0.8, 0.9], "Qingdao": [0.7, 0.95]},
                            lo={"Jiangsu": [0.75, 0.85], "Qingdao": [0.65, 0.9]},
                            hi={"Jiangsu": [0.85, 0.95], "Qingdao": [0.75, 0.99]},
                        ),
                    ),
                    Chart(
                        name="backlog",
                        title="Backlog",
                        draw=partial(
                            charts.time_series,
                            np.arange(24),
                            {"grid": rng.poisson(5, 24), "township": rng.poisson(2, 24)},
                        ),
                    ),
                    Chart(
                        name="close_hist",
                        title="Time to close",
                        draw=partial(charts.histogram, rng.exponential(3, 200), deadline=7),
                    ),
                    Chart(
                        name="close_ecdf",
                        title="Time to close",
                        draw=partial(
                            charts.ecdf,
                            {"A": rng.exponential(3, 200), "B": rng.exponential(4, 200)},
                            deadline=7,
                        ),
                        size=(6.0, 3.5),
                    ),
                    Chart(name="ready", title="Ready-made", png_path=ready_made),
                ],
                tables=[
                    Table(
                        name="kpi",
                        columns=["jurisdiction", "on_time", "mean_days", "cases", "met"],
                        rows=[
                            ["江苏", 0.912345, 3.25, 1200, True],
                            [HOSTILE, np.float64(0.5), math.nan, np.int64(7), False],
                            ["unstable", None, math.inf, 0, None],
                        ],
                        caption=HOSTILE,
                        units={"mean_days": "天", "cases": "件"},
                        formats={"on_time": ".1%"},
                    ),
                ],
            ),
            Section(
                heading="Staffing",
                tables=[
                    Table(
                        name="staffing.grid",
                        columns=["grid", "workers", "load"],
                        rows=[
                            {"grid": "320102001001", "workers": 3, "load": 2.5},
                            {"grid": "320102001002", "load": 0.125},
                        ],
                    ),
                    Table(name="matrix", columns=["x", "y"], rows=np.array([[1.5, 2.0], [3, 4]])),
                ],
            ),
        ],
    )


@pytest.fixture(scope="session")
def sample_report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """The sample report (shared: tests must not modify it)."""
    return build_report(tmp_path_factory.mktemp("inputs"))


@pytest.fixture(scope="session")
def written_once(sample_report: Report, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample report written once (shared: copy it before damaging it)."""
    out = tmp_path_factory.mktemp("written") / "out"
    assert write_report(sample_report, out) == out / "report.html"
    return out


@pytest.fixture
def hostile() -> str:
    """Text with markup that must be escaped, used throughout the sample report."""
    return HOSTILE
