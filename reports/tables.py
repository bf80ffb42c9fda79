"""Tables: number formatting and HTML for the page, CSV and JSON files for reuse.

The files keep full precision (the shortest repr that round-trips); only the HTML applies
format specs. tables/<name>.json is what re-rendering reads; the CSV is an export, written
as UTF-8 with a byte-order mark because Excel and WPS on Chinese Windows otherwise read it as
GBK and garble the Chinese.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable
from html import escape
from pathlib import Path
from typing import Any

from reports._io import read_json, write_json
from reports.model import Cell, ReportError, Table

MISSING = "–"


def _is_number(value: Cell) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def default_format(values: Iterable[Cell]) -> str:
    """A format spec for a column's numbers when the table gives none.

    One spec per column, so a column's numbers line up: integers as they are (grouped in
    thousands from 10 000), floats with decimals by the magnitude of the largest, about three
    significant digits for fractions.
    """
    numbers = [value for value in values if _is_number(value) and math.isfinite(value)]
    largest = max((abs(value) for value in numbers), default=0.0)
    if all(isinstance(value, int) for value in numbers):
        return "," if largest >= 10_000 else ""
    if largest >= 1000:
        return ",.0f"
    if largest >= 10:
        return ".1f"
    if largest >= 1 or largest == 0:
        return ".2f"
    return f".{min(6, 2 - math.floor(math.log10(largest)))}f"


def format_cell(value: Cell, spec: str) -> str:
    """The text shown for one cell: numbers through ``spec``, the rest readable as is."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    return format(value, spec)


def _header_cell(column: str, unit: str | None) -> str:
    unit_html = f'<span class="unit">{escape(unit)}</span>' if unit else ""
    return f'<th scope="col">{escape(column)}{unit_html}</th>'


def table_html(table: Table) -> str:
    """The table as an HTML ``<table>`` with a header row, units and links to its files."""
    specs = [
        table.formats.get(column) or default_format(row[index] for row in table.rows)
        for index, column in enumerate(table.columns)
    ]
    header = "".join(_header_cell(column, table.units.get(column)) for column in table.columns)
    body = "\n".join(
        "<tr>"
        + "".join(
            f'<td class="num">{escape(format_cell(value, spec))}</td>'
            if _is_number(value)
            else f"<td>{escape(format_cell(value, spec))}</td>"
            for value, spec in zip(row, specs, strict=True)
        )
        + "</tr>"
        for row in table.rows
    )
    caption = f"<caption>{escape(table.caption)}</caption>" if table.caption else ""
    name = escape(table.name)
    return (
        f'<div class="table-wrap"><table id="table-{name}">{caption}\n'
        f"<thead><tr>{header}</tr></thead>\n<tbody>\n{body}\n</tbody></table>\n"
        f'<p class="files">{name}: <a href="tables/{name}.csv">CSV</a> · '
        f'<a href="tables/{name}.json">JSON</a></p></div>'
    )


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    # repr is the shortest text that reads back as the same float (str may differ on old
    # Pythons, and format specs would round).
    return repr(value) if isinstance(value, float) else str(value)


def write_table_files(table: Table, directory: Path) -> None:
    """Write ``<name>.csv`` and ``<name>.json`` (rows as records, with caption and units)."""
    with (directory / f"{table.name}.csv").open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(table.columns)
        writer.writerows([_csv_cell(value) for value in row] for row in table.rows)
    write_json(
        directory / f"{table.name}.json",
        {
            "name": table.name,
            "caption": table.caption,
            "columns": table.columns,
            "units": table.units,
            "rows": [dict(zip(table.columns, row, strict=True)) for row in table.rows],
        },
    )


def read_table_rows(directory: Path, name: str) -> list[Any]:
    """The rows stored in ``<name>.json`` under ``directory``; ReportError if unreadable."""
    path = directory / f"{name}.json"
    data = read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
        raise ReportError(f"{path}: expected an object with a 'rows' list")
    return data["rows"]
