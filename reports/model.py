"""The report model that planner and researcher commands fill in and hand to ``write_report``.

A report is a title, metadata (scenario, rule citations, seeds…) and sections of plain text,
tables and charts. Everything except a chart's drawing function is plain data, so a written
report folder holds all that is needed to render it again.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

Cell = str | int | float | bool | None
"""One table value. NaN is stored as None (missing); ±inf is kept."""

# Table and chart names become file names (tables/<name>.csv, charts/<name>.png) and HTML ids.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


class ReportError(Exception):
    """A report cannot be written or rendered; the message is one line fit for the user."""


def _check_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name):
        raise ValueError(
            f"name {name!r} must start with a letter or digit and contain only letters, "
            "digits, '_', '.' and '-' (it becomes a file name)"
        )
    return name


Name = Annotated[str, AfterValidator(_check_name)]


def _plain_cell(value: Any) -> Any:
    """numpy scalars to Python ones and NaN to None, so cells serialise and compare simply."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


class _Model(BaseModel):
    # Unknown fields are mistakes (typos in a manifest or a caller), not data to carry along.
    model_config = ConfigDict(extra="forbid")


class Table(_Model):
    """A table: written as tables/<name>.csv and .json and shown in the HTML.

    ``rows`` may be given as lists in column order, as dicts keyed by column (missing keys
    are empty cells), or as a 2-D numpy array; they are stored as lists. ``units`` and
    ``formats`` are optional per column; a format is a Python format spec such as ``".1%"``
    or ``",.0f"`` applied to the column's numbers in the HTML only (files keep full precision).
    """

    name: Name
    columns: list[str]
    rows: list[list[Cell]]
    caption: str = ""
    units: dict[str, str] = Field(default_factory=dict)
    formats: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _rows_as_lists(cls, data: Any) -> Any:
        if not isinstance(data, Mapping) or "rows" not in data:
            return data
        columns = list(data.get("columns") or [])
        rows = data["rows"]
        if isinstance(rows, np.ndarray):
            rows = rows.tolist()
        as_lists = []
        for index, row in enumerate(rows):
            if isinstance(row, Mapping):
                unknown = sorted(set(row) - set(columns))
                if unknown:
                    raise ValueError(f"row {index} has keys that are not columns: {unknown}")
                row = [row.get(column) for column in columns]
            as_lists.append([_plain_cell(value) for value in row])
        return {**data, "rows": as_lists}

    @model_validator(mode="after")
    def _consistent(self) -> Table:
        if not self.columns or len(set(self.columns)) != len(self.columns):
            raise ValueError(f"table {self.name!r}: columns must be non-empty and unique")
        for index, row in enumerate(self.rows):
            if len(row) != len(self.columns):
                raise ValueError(
                    f"table {self.name!r}: row {index} has {len(row)} cells for "
                    f"{len(self.columns)} columns"
                )
        for field, mapping in (("units", self.units), ("formats", self.formats)):
            unknown = sorted(set(mapping) - set(self.columns))
            if unknown:
                raise ValueError(f"table {self.name!r}: {field} for unknown columns {unknown}")
        # Try every format on its column now, so a bad spec fails here and not mid-render.
        for column, spec in self.formats.items():
            position = self.columns.index(column)
            for row in self.rows:
                value = row[position]
                if isinstance(value, int | float) and not isinstance(value, bool):
                    try:
                        format(value, spec)
                    except ValueError as exc:
                        raise ValueError(
                            f"table {self.name!r}: format {spec!r} does not fit column "
                            f"{column!r} value {value!r} ({exc})"
                        ) from None
        return self


class Chart(_Model):
    """A chart: saved as charts/<name>.png and embedded in the HTML.

    Give exactly one of ``draw`` — called as ``draw(fig=figure)`` with an empty matplotlib
    Figure of ``size`` inches, e.g. ``functools.partial(reports.charts.line_with_band, x, m,
    lo, hi)`` — or ``png_path``, an existing PNG that is copied into the folder. The title is
    shown by the HTML (where Chinese always renders), so the drawing needs none.
    """

    name: Name
    title: str
    caption: str = ""
    png_path: Path | None = None
    draw: Callable[..., object] | None = Field(default=None, exclude=True)
    size: tuple[float, float] = (7.0, 4.0)

    @model_validator(mode="after")
    def _one_source(self) -> Chart:
        if (self.png_path is None) == (self.draw is None):
            raise ValueError(f"chart {self.name!r}: give exactly one of png_path and draw")
        return self


class Section(_Model):
    """A heading, plain-text paragraphs (separated by blank lines), then charts and tables."""

    heading: str
    text: str = ""
    tables: list[Table] = Field(default_factory=list)
    charts: list[Chart] = Field(default_factory=list)


class Report(_Model):
    """A whole report.

    ``meta`` holds what a reader needs to reproduce or trust the results — scenario, rule
    citations, seeds, versions — as strings or lists of strings (numbers are accepted and
    turned into strings). ``lang`` is the HTML language tag; zh-CN makes browsers pick
    simplified-Chinese glyphs.
    """

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)

    title: str
    subtitle: str = ""
    meta: dict[str, str | list[str]] = Field(default_factory=dict)
    sections: list[Section] = Field(default_factory=list)
    lang: str = "zh-CN"

    def iter_tables(self) -> Iterator[Table]:
        """All tables, section by section."""
        for section in self.sections:
            yield from section.tables

    def iter_charts(self) -> Iterator[Chart]:
        """All charts, section by section."""
        for section in self.sections:
            yield from section.charts

    @model_validator(mode="after")
    def _unique_names(self) -> Report:
        for kind, names in (
            ("table", [table.name for table in self.iter_tables()]),
            ("chart", [chart.name for chart in self.iter_charts()]),
        ):
            duplicates = sorted({name for name in names if names.count(name) > 1})
            if duplicates:
                raise ValueError(f"{kind} names must be unique in a report: {duplicates}")
        return self
