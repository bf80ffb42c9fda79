"""Render a report as one self-contained HTML page.

Every piece of caller text goes through :func:`html.escape`; charts are embedded as base64
``data:`` URIs so the page can be mailed or archived alone. The output depends only on the
report and the chart files (no timestamps), so rendering twice gives the same bytes.
"""

from __future__ import annotations

import base64
import re
from html import escape
from importlib.resources import files
from pathlib import Path
from string import Template

from reports.model import Chart, Report, ReportError, Section
from reports.tables import table_html

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_TEMPLATE = Template(files("reports").joinpath("template.html").read_text(encoding="utf-8"))
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def _paragraphs(text: str) -> str:
    return "\n".join(
        f"<p>{escape(paragraph.strip())}</p>"
        for paragraph in _PARAGRAPH_BREAK.split(text)
        if paragraph.strip()
    )


def _meta(meta: dict[str, str | list[str]]) -> str:
    if not meta:
        return ""
    items = []
    for key, value in meta.items():
        if isinstance(value, list):
            shown = "<ul>" + "".join(f"<li>{escape(item)}</li>" for item in value) + "</ul>"
        else:
            shown = escape(value)
        items.append(f"<dt>{escape(key)}</dt><dd>{shown}</dd>")
    return '<h2>About this report</h2>\n<dl class="meta">\n' + "\n".join(items) + "\n</dl>"


def _chart(chart: Chart, base_dir: Path) -> str:
    if chart.png_path is None:
        raise ReportError(f"chart {chart.name!r} has no PNG yet; write the report first")
    path = base_dir / chart.png_path
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReportError(f"{path}: cannot read chart image ({exc.strerror})") from None
    if not data.startswith(PNG_SIGNATURE):
        raise ReportError(f"{path}: not a PNG image")
    uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    caption = f"<strong>{escape(chart.title)}</strong>"
    if chart.caption:
        caption += f" {escape(chart.caption)}"
    return (
        f'<figure id="chart-{escape(chart.name)}"><img src="{uri}" alt="{escape(chart.title)}">'
        f"<figcaption>{caption}</figcaption></figure>"
    )


def _section(number: int, section: Section, base_dir: Path) -> str:
    parts = [f'<section id="section-{number}">', f"<h2>{escape(section.heading)}</h2>"]
    parts.append(_paragraphs(section.text))
    parts.extend(_chart(chart, base_dir) for chart in section.charts)
    parts.extend(table_html(table) for table in section.tables)
    parts.append("</section>")
    return "\n".join(part for part in parts if part)


def render_html(report: Report, base_dir: Path) -> str:
    """The report as an HTML document; chart ``png_path``s are read relative to ``base_dir``."""
    parts = [
        f"<header><h1>{escape(report.title)}</h1>",
        f'<p class="subtitle">{escape(report.subtitle)}</p>' if report.subtitle else "",
        "</header>",
        _meta(report.meta),
    ]
    if len(report.sections) > 1:
        entries = "".join(
            f'<li><a href="#section-{number}">{escape(section.heading)}</a></li>'
            for number, section in enumerate(report.sections, start=1)
        )
        parts.append(f"<nav><h2>Contents</h2><ol>{entries}</ol></nav>")
    parts.extend(
        _section(number, section, base_dir)
        for number, section in enumerate(report.sections, start=1)
    )
    parts.append(
        "<footer>Tables are in <code>tables/</code> as CSV and JSON, charts in "
        "<code>charts/</code> as PNG, and everything needed to rebuild this page in "
        "<code>report.json</code>: run <code>gridsim report DIR</code>.</footer>"
    )
    return _TEMPLATE.substitute(
        lang=escape(report.lang),
        title=escape(report.title),
        body="\n".join(part for part in parts if part),
    )
