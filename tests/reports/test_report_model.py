"""The report model rejects what cannot be written or rendered, and formats numbers."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from reports import Chart, Report, Section, Table
from reports.tables import default_format, format_cell


def draw_nothing(fig) -> None:
    """A chart drawing that adds nothing (enough for model validation)."""


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "../escape"}, "must start with a letter or digit"),
        ({"name": "a/b"}, "must start with a letter or digit"),
        ({"columns": []}, "columns must be non-empty and unique"),
        ({"columns": ["a", "a"], "rows": []}, "columns must be non-empty and unique"),
        ({"rows": [[1]]}, "row 0 has 1 cells for 2 columns"),
        ({"rows": [{"a": 1, "z": 2}]}, r"row 0 has keys that are not columns: \['z'\]"),
        ({"units": {"z": "h"}}, r"units for unknown columns \['z'\]"),
        ({"formats": {"b": ".1q"}}, "format '.1q' does not fit column 'b'"),
        ({"formats": {"b": "d"}}, "format 'd' does not fit column 'b' value 2.5"),
        ({"rows": [[1, object()]]}, "rows.0.1"),
        ({"extra": 1}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_tables_are_rejected(kwargs: dict[str, object], message: str) -> None:
    """Each mistake is a ValidationError saying what is wrong."""
    arguments = {"name": "t", "columns": ["a", "b"], "rows": [[1, 2.5]]} | kwargs
    with pytest.raises(ValidationError, match=message):
        Table(**arguments)


def test_rows_are_normalised() -> None:
    """Dict rows, numpy arrays and scalars become plain lists; NaN becomes None."""
    table = Table(
        name="t",
        columns=["a", "b"],
        rows=[{"b": np.float32(0.5)}, [np.int64(3), math.nan]],
    )
    assert table.rows == [[None, 0.5], [3, None]]
    assert type(table.rows[1][0]) is int
    assert Table(name="m", columns=["x", "y"], rows=np.eye(2)).rows == [[1.0, 0.0], [0.0, 1.0]]


def test_charts_need_exactly_one_source(tmp_path: Path) -> None:
    """Neither or both of draw and png_path is an error."""
    with pytest.raises(ValidationError, match="exactly one of png_path and draw"):
        Chart(name="c", title="t")
    with pytest.raises(ValidationError, match="exactly one of png_path and draw"):
        Chart(name="c", title="t", draw=draw_nothing, png_path=tmp_path / "x.png")


def test_names_are_unique_per_report() -> None:
    """Two tables (or charts) with one name would overwrite each other's files."""
    table = Table(name="t", columns=["a"], rows=[[1]])
    chart = Chart(name="c", title="c", draw=draw_nothing)
    with pytest.raises(ValidationError, match=r"table names must be unique in a report: \['t'\]"):
        Report(
            title="r",
            sections=[Section(heading="1", tables=[table]), Section(heading="2", tables=[table])],
        )
    with pytest.raises(ValidationError, match=r"chart names must be unique in a report: \['c'\]"):
        Report(title="r", sections=[Section(heading="1", charts=[chart, chart])])


def test_meta_numbers_become_text() -> None:
    """Seeds can be passed as ints."""
    report = Report(title="r", meta={"seed": 42, "seeds": [1, 2]})
    assert report.meta == {"seed": "42", "seeds": ["1", "2"]}


def test_draw_is_not_serialised() -> None:
    """The drawing function stays out of the manifest."""
    chart = Chart(name="c", title="c", draw=draw_nothing)
    assert "draw" not in chart.model_dump(mode="json")


@pytest.mark.parametrize(
    ("values", "spec"),
    [
        ([1, 2, 3], ""),
        ([1, 20_000], ","),
        ([0.5, 2.5], ".2f"),
        ([12.5, None, "n/a"], ".1f"),
        ([1234.5, 3.0], ",.0f"),
        ([0.0123, 0.5], ".3f"),
        ([0.001, 0.0004], ".5f"),
        ([0.0, math.inf], ".2f"),
        (["a", None], ""),
    ],
)
def test_default_format(values: list[object], spec: str) -> None:
    """One spec per column, by the type and magnitude of its numbers."""
    assert default_format(values) == spec


@pytest.mark.parametrize(
    ("value", "spec", "text"),
    [
        (None, ".2f", "–"),
        (True, ".2f", "yes"),
        (False, "", "no"),
        ("文本", ".2f", "文本"),
        (math.inf, ".1%", "∞"),
        (-math.inf, "", "−∞"),
        (0.875, ".1%", "87.5%"),
        (12345, ",", "12,345"),
    ],
)
def test_format_cell(value: object, spec: str, text: str) -> None:
    """Missing, boolean, text and infinite cells read naturally; numbers follow the spec."""
    assert format_cell(value, spec) == text
