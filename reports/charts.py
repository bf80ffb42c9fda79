"""Chart helpers for the planner and researcher reports, and deterministic PNG output.

Each helper takes plain sequences / numpy arrays, draws into ``fig`` (a fresh Figure if None;
its first Axes if it already has one, so calling a helper twice overlays two series) and
returns the Figure. Figures are built with :class:`matplotlib.figure.Figure` directly, never
pyplot, so nothing touches a GUI backend or pyplot's global figure list; PNGs are rendered by
Agg.

Chinese labels need a font with CJK glyphs. :func:`cjk_font` looks for a common one; if none
is installed (on Debian: ``apt-get install fonts-noto-cjk``), matplotlib would draw empty
boxes, so callers should pass labels through :func:`pick_label`, which falls back to English.
Titles belong in the report's HTML, which browsers render in any script.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import matplotlib as mpl
import numpy as np
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

DPI = 110
DEFAULT_SIZE = (7.0, 4.0)
"""Figure size in inches used when a helper creates its own Figure."""

# Families with simplified-Chinese glyphs, most preferred first: Noto/Source Han (Linux),
# WenQuanYi (older Debian), then the Windows and macOS system fonts.
_CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Heiti SC",
)


@functools.cache
def cjk_font() -> str | None:
    """The name of an installed font family with Chinese glyphs, or None if there is none."""
    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    return next((family for family in _CJK_FAMILIES if family in installed), None)


def pick_label(zh: str, en: str) -> str:
    """``zh`` if a CJK font is installed, else ``en``, so charts never show missing glyphs."""
    return zh if cjk_font() is not None else en


def _style() -> dict[str, object]:
    """rcParams for report charts: a CJK-capable font first when there is one, light grid."""
    cjk = cjk_font()
    return {
        "font.family": "sans-serif",
        "font.sans-serif": [*([cjk] if cjk else []), "DejaVu Sans"],
        # CJK fonts often lack U+2212 (minus); a hyphen renders everywhere.
        "axes.unicode_minus": cjk is None,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }


def save_png(draw: Callable[..., object], path: Path, size: tuple[float, float]) -> None:
    """Draw a chart with ``draw(fig=figure)`` and save it as a deterministic PNG.

    Fixed DPI and no "Software" text chunk (it carries the matplotlib version), so the same
    input and matplotlib/FreeType build give a byte-identical file.
    """
    with mpl.rc_context(_style()):
        fig = Figure(figsize=size, dpi=DPI, layout="constrained")
        draw(fig=fig)
        fig.savefig(path, format="png", dpi=DPI, metadata={"Software": None})


def _axes(fig: Figure | None) -> tuple[Figure, Axes]:
    if fig is None:
        fig = Figure(figsize=DEFAULT_SIZE, dpi=DPI, layout="constrained")
    return fig, (fig.axes[0] if fig.axes else fig.add_subplot())


def _finish(ax: Axes, xlabel: str, ylabel: str) -> None:
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", fontsize="small")


def _arrays(**named: ArrayLike) -> list[np.ndarray]:
    """The arguments as 1-D float arrays, or ValueError naming any that differ in length."""
    arrays = {name: np.asarray(values, dtype=float).ravel() for name, values in named.items()}
    lengths = {name: array.size for name, array in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"arrays must have equal lengths, got {lengths}")
    return list(arrays.values())


def _groups(samples: ArrayLike | Mapping[str, ArrayLike]) -> dict[str, np.ndarray]:
    """One unnamed sample or named samples, as finite non-empty 1-D arrays."""
    named = samples if isinstance(samples, Mapping) else {"": samples}
    groups = {}
    for name, values in named.items():
        (array,) = _arrays(values=values)
        if array.size == 0 or not np.isfinite(array).all():
            raise ValueError(f"sample {name!r} must be non-empty and finite")
        groups[name] = array
    return groups


def _reference_line(ax: Axes, value: float | None, label: str, *, vertical: bool) -> None:
    if value is None:
        return
    line = ax.axvline if vertical else ax.axhline
    line(value, color="0.25", linestyle="--", linewidth=1, label=label)


def line_with_band(
    x: ArrayLike,
    mean: ArrayLike,
    lo: ArrayLike,
    hi: ArrayLike,
    *,
    label: str | None = None,
    band_label: str | None = None,
    target: float | None = None,
    target_label: str = "target",
    xlabel: str = "",
    ylabel: str = "",
    fig: Figure | None = None,
) -> Figure:
    """A line of ``mean`` against ``x`` with a shaded ``lo``–``hi`` band and a target line.

    E.g. the on-time rate against the number of grid workers, with a 95 % confidence band
    from replications and the rule's required rate as ``target``; ``band_label`` (e.g.
    "95 % CI") puts the band in the legend.
    """
    x, mean, lo, hi = _arrays(x=x, mean=mean, lo=lo, hi=hi)
    fig, ax = _axes(fig)
    (line,) = ax.plot(x, mean, marker="o", markersize=3, label=label)
    ax.fill_between(x, lo, hi, color=line.get_color(), alpha=0.2, linewidth=0, label=band_label)
    _reference_line(ax, target, target_label, vertical=False)
    _finish(ax, xlabel, ylabel)
    return fig


def grouped_bars(
    categories: Sequence[str],
    series: Mapping[str, ArrayLike],
    *,
    lo: Mapping[str, ArrayLike] | None = None,
    hi: Mapping[str, ArrayLike] | None = None,
    target: float | None = None,
    target_label: str = "target",
    xlabel: str = "",
    ylabel: str = "",
    fig: Figure | None = None,
) -> Figure:
    """Bars for each category, one per series side by side, with optional lo–hi error bars.

    E.g. categories = KPIs, series = jurisdictions, lo/hi = confidence limits per series.
    """
    if (lo is None) != (hi is None):
        raise ValueError("give both lo and hi for error bars, or neither")
    fig, ax = _axes(fig)
    positions = np.arange(len(categories))
    width = 0.8 / max(len(series), 1)
    for index, (name, values) in enumerate(series.items()):
        (heights,) = _arrays(values=values)
        if heights.size != len(categories):
            raise ValueError(f"series {name!r} has {heights.size} values for {len(categories)}")
        errors = None
        if lo is not None and hi is not None:
            if name not in lo or name not in hi:
                raise ValueError(f"series {name!r} has no lo/hi error bounds")
            low, high, _ = _arrays(lo=lo[name], hi=hi[name], values=heights)
            if np.any(low > heights) or np.any(high < heights):
                raise ValueError(f"series {name!r}: need lo <= value <= hi")
            errors = np.vstack([heights - low, high - heights])
        offset = (index - (len(series) - 1) / 2) * width
        ax.bar(positions + offset, heights, width, yerr=errors, capsize=3, label=name)
    ax.set_xticks(positions, categories)
    _reference_line(ax, target, target_label, vertical=False)
    _finish(ax, xlabel, ylabel)
    return fig


def time_series(
    t: ArrayLike,
    series: Mapping[str, ArrayLike],
    *,
    step: bool = True,
    xlabel: str = "",
    ylabel: str = "",
    fig: Figure | None = None,
) -> Figure:
    """Several series over a shared time axis, e.g. the backlog of each tier over time.

    ``step`` draws each value until the next time point, right for counts like a backlog.
    """
    fig, ax = _axes(fig)
    for name, values in series.items():
        times, ys = _arrays(t=t, values=values)
        ax.plot(times, ys, drawstyle="steps-post" if step else "default", label=name)
    _finish(ax, xlabel, ylabel)
    return fig


def histogram(
    samples: ArrayLike | Mapping[str, ArrayLike],
    *,
    bins: int = 30,
    deadline: float | None = None,
    deadline_label: str = "deadline",
    xlabel: str = "",
    ylabel: str = "count",
    fig: Figure | None = None,
) -> Figure:
    """Histogram of one sample or of named samples on shared bins, e.g. time to close."""
    groups = _groups(samples)
    edges = np.histogram_bin_edges(np.concatenate(list(groups.values())), bins=bins)
    fig, ax = _axes(fig)
    for name, values in groups.items():
        ax.hist(values, bins=edges, histtype="stepfilled", alpha=0.45, label=name or None)
    _reference_line(ax, deadline, deadline_label, vertical=True)
    _finish(ax, xlabel, ylabel)
    return fig


def ecdf(
    samples: ArrayLike | Mapping[str, ArrayLike],
    *,
    deadline: float | None = None,
    deadline_label: str = "deadline",
    xlabel: str = "",
    ylabel: str = "fraction ≤ x",
    fig: Figure | None = None,
) -> Figure:
    """Empirical distribution function of one sample or of named samples.

    With a ``deadline``, each legend entry also gives the share at or under it — the on-time
    rate for time-to-close samples.
    """
    fig, ax = _axes(fig)
    for name, values in _groups(samples).items():
        label = name or None
        if deadline is not None:
            share = f"{np.mean(values <= deadline):.1%} ≤ {deadline:g}"
            label = f"{name} ({share})" if name else share
        ax.ecdf(values, label=label)
    _reference_line(ax, deadline, deadline_label, vertical=True)
    ax.set_ylim(0, 1.02)
    _finish(ax, xlabel, ylabel)
    return fig
