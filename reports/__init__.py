"""Self-contained HTML reports with PNG charts, and CSV/JSON of every table.

Commands build a :class:`Report` and call :func:`write_report`; ``gridsim report DIR``
(:func:`render_dir`) renders the HTML again from the folder. Chart helpers are in
:mod:`reports.charts`.
"""

from reports.model import Chart, Report, ReportError, Section, Table
from reports.render import load_report, render_dir, write_report

__all__ = [
    "Chart",
    "Report",
    "ReportError",
    "Section",
    "Table",
    "load_report",
    "render_dir",
    "write_report",
]
