"""The ``gridsim report DIR`` command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reports.model import ReportError
from reports.render import render_dir


def report(
    directory: Annotated[
        Path, typer.Argument(metavar="DIR", help="A report folder written by a gridsim command.")
    ],
) -> None:
    """Re-render DIR/report.html from DIR/report.json, DIR/tables and DIR/charts."""
    try:
        html = render_dir(directory)
    except (ReportError, OSError) as exc:
        # One line and exit code 2, like the rest of the CLI's user errors; no traceback.
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(str(html))


def register(app: typer.Typer) -> None:
    """Add the ``report`` command to the gridsim CLI ``app``."""
    app.command("report")(report)
