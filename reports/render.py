"""Write a report folder, and render its HTML again from what the folder holds.

Folder layout::

    report.html          the page, charts embedded (self-contained)
    report.json          the manifest: the report model without table rows
    tables/<name>.csv    each table, UTF-8 with BOM (for Excel)
    tables/<name>.json   each table's caption, columns, units and rows as records
    charts/<name>.png    each chart

``write_report`` writes the data files and then calls ``render_dir``, so the HTML a command
writes is by construction the HTML ``gridsim report DIR`` gives for the same folder.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reports._io import read_json, write_json
from reports.charts import save_png
from reports.html import PNG_SIGNATURE, render_html
from reports.model import NAME_PATTERN, Report, ReportError
from reports.tables import read_table_rows, write_table_files

MANIFEST = "report.json"
HTML = "report.html"
TABLES = "tables"
CHARTS = "charts"
FORMAT = "gridsim-report/1"
"""Manifest format tag, bumped if the layout changes incompatibly."""


def write_report(report: Report, out_dir: str | Path) -> Path:
    """Write ``report`` into ``out_dir`` (created if needed) and return the HTML's path.

    Existing files of the same names are overwritten; other files in the folder are left.

    Raises:
        ReportError: if a chart's ``png_path`` is missing or not a PNG.
        OSError: if the folder cannot be written.
    """
    out = Path(out_dir)
    (out / TABLES).mkdir(parents=True, exist_ok=True)
    (out / CHARTS).mkdir(exist_ok=True)
    for table in report.iter_tables():
        write_table_files(table, out / TABLES)
    for chart in report.iter_charts():
        target = out / CHARTS / f"{chart.name}.png"
        if chart.draw is not None:
            save_png(chart.draw, target, chart.size)
        elif chart.png_path is not None:
            _copy_png(chart.png_path, target)

    manifest: dict[str, Any] = {"format": FORMAT, **report.model_dump(mode="json")}
    for section in manifest["sections"]:
        for table in section["tables"]:
            del table["rows"]  # they live in tables/<name>.json
        for chart in section["charts"]:
            chart["png_path"] = f"{CHARTS}/{chart['name']}.png"
    write_json(out / MANIFEST, manifest)
    return render_dir(out)


def _copy_png(source: Path, target: Path) -> None:
    try:
        with source.open("rb") as f:
            is_png = f.read(len(PNG_SIGNATURE)) == PNG_SIGNATURE
    except OSError as exc:
        raise ReportError(f"{source}: cannot read chart image ({exc.strerror})") from None
    if not is_png:
        raise ReportError(f"{source}: not a PNG image")
    if not (target.exists() and source.samefile(target)):
        shutil.copyfile(source, target)


def load_report(out_dir: str | Path) -> Report:
    """The report stored in a folder written by :func:`write_report`.

    Raises:
        ReportError: with a one-line reason if the folder, manifest or a table file is
            missing or invalid.
    """
    out = Path(out_dir)
    if not out.is_dir():
        raise ReportError(f"{out}: no such report folder")
    manifest_path = out / MANIFEST
    if not manifest_path.is_file():
        raise ReportError(f"{out}: not a report folder (no {MANIFEST})")
    manifest = read_json(manifest_path)
    if not isinstance(manifest, dict) or manifest.pop("format", None) != FORMAT:
        raise ReportError(f"{manifest_path}: not a {FORMAT} manifest")
    for section in _dicts(manifest.get("sections")):
        for table in _dicts(section.get("tables")):
            name = table.get("name")
            # An invalid name is left for validation to report, and never used as a path.
            if isinstance(name, str) and NAME_PATTERN.fullmatch(name):
                table["rows"] = read_table_rows(out / TABLES, name)
    try:
        return Report.model_validate(manifest)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "report"
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        raise ReportError(f"{manifest_path}: {where}: {first['msg']}{more}") from None


def _dicts(value: object) -> list[dict[str, Any]]:
    """The dict items of ``value`` if it is a list (anything else is validation's to report)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def render_dir(out_dir: str | Path) -> Path:
    """Re-render ``out_dir``/report.html from the folder's manifest, tables and charts.

    This is what ``gridsim report DIR`` runs. Returns the HTML's path.

    Raises:
        ReportError: with a one-line reason if the folder is not a valid report folder.
    """
    out = Path(out_dir)
    html = render_html(load_report(out), out)
    path = out / HTML
    path.write_text(html, encoding="utf-8")
    return path
