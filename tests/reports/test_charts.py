"""Chart helpers: they draw what they are given and refuse inconsistent input."""

from __future__ import annotations

import warnings
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from reports import charts


def test_helpers_return_figures_with_labels() -> None:
    """Each helper returns a Figure with its axis labels and legend entries."""
    fig = charts.line_with_band(
        [1, 2, 3],
        [0.5, 0.6, 0.7],
        [0.4, 0.5, 0.6],
        [0.6, 0.7, 0.8],
        label="A",
        band_label="95 % CI",
        target=0.65,
        xlabel="workers",
        ylabel="on-time",
    )
    (ax,) = fig.axes
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("workers", "on-time")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["A", "95 % CI", "target"]

    fig = charts.ecdf({"A": [1.0, 2.0, 3.0, 10.0]}, deadline=3)
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == [
        "A (75.0% ≤ 3)",
        "deadline",
    ]
    assert isinstance(charts.histogram(np.arange(10.0), bins=5), Figure)
    fig = charts.time_series([0, 1, 2], {"grid": [3, 1, 2], "township": [0, 1, 1]})
    assert len(fig.axes[0].get_lines()) == 2


def test_second_call_overlays_on_same_axes() -> None:
    """Passing the Figure back draws into its axes: two series on one chart."""
    fig = charts.line_with_band([1, 2], [1, 2], [0, 1], [2, 3], label="A")
    charts.line_with_band([1, 2], [2, 3], [1, 2], [3, 4], label="B", fig=fig)
    assert len(fig.axes) == 1 and len(fig.axes[0].get_lines()) == 2


def test_grouped_bars_draw_one_bar_per_series_and_category() -> None:
    """categories × series bars, with error bars when bounds are given."""
    fig = charts.grouped_bars(
        ["on-time", "closed", "visits"],
        {"Jiangsu": [0.8, 0.9, 0.7], "Zigong": [0.6, 0.95, 0.5]},
        lo={"Jiangsu": [0.7, 0.8, 0.6], "Zigong": [0.5, 0.9, 0.4]},
        hi={"Jiangsu": [0.9, 1.0, 0.8], "Zigong": [0.7, 1.0, 0.6]},
    )
    assert len(fig.axes[0].patches) == 6


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: charts.line_with_band([1, 2], [1], [1], [1]), "equal lengths"),
        (lambda: charts.grouped_bars(["a"], {"s": [1, 2]}), "has 2 values for 1"),
        (lambda: charts.grouped_bars(["a"], {"s": [1]}, lo={"s": [0]}), "both lo and hi"),
        (lambda: charts.grouped_bars(["a"], {"s": [1]}, lo={}, hi={}), "no lo/hi"),
        (
            lambda: charts.grouped_bars(["a"], {"s": [1]}, lo={"s": [2]}, hi={"s": [3]}),
            "lo <= value <= hi",
        ),
        (lambda: charts.ecdf([]), "non-empty and finite"),
        (lambda: charts.histogram({"x": [1, np.nan]}), "non-empty and finite"),
        (lambda: charts.time_series([0, 1], {"s": [1, 2, 3]}), "equal lengths"),
    ],
)
def test_inconsistent_input_raises(call, message: str) -> None:
    """Mismatched lengths and impossible bounds are ValueErrors, not odd pictures."""
    with pytest.raises(ValueError, match=message):
        call()


def test_pick_label_falls_back_to_english(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a CJK font the English label is used; with one, the Chinese."""
    monkeypatch.setattr(charts, "cjk_font", lambda: None)
    assert charts.pick_label("按时办结率", "on-time rate") == "on-time rate"
    monkeypatch.setattr(charts, "cjk_font", lambda: "Noto Sans CJK SC")
    assert charts.pick_label("按时办结率", "on-time rate") == "按时办结率"


def test_cjk_font_is_installed_family_or_none() -> None:
    """cjk_font names a family matplotlib knows, or None (e.g. without fonts-noto-cjk)."""
    from matplotlib import font_manager

    family = charts.cjk_font()
    assert family is None or family in {f.name for f in font_manager.fontManager.ttflist}


def test_chinese_labels_never_crash(tmp_path: Path) -> None:
    """Even without a CJK font, Chinese in a label renders (as boxes) rather than failing."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Glyph … missing from font" when no CJK font
        charts.save_png(
            partial(charts.time_series, [0, 1], {"网格": [1, 2]}, xlabel="小时"),
            tmp_path / "zh.png",
            (3.0, 2.0),
        )
    assert (tmp_path / "zh.png").read_bytes().startswith(b"\x89PNG")
