"""Options and plumbing shared by ``gridsim size``, ``deadlines``, ``compare`` and ``sweep``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from reports import Report, write_report
from sim.config import ScenarioError
from sim.planning.replicate import Runner

RepsOpt = Annotated[int, typer.Option(
    "--reps", min=2, help="Replications per variant (different seeds, the same for every "
    "variant: common random numbers). More narrow the confidence intervals.")]
ProcessesOpt = Annotated[int | None, typer.Option(
    "--processes", min=1, help="Local worker processes for the replications; defaults to the "
    "number of CPUs (os.cpu_count()).")]
DaskOpt = Annotated[str | None, typer.Option(
    "--dask", metavar="tcp://HOST:PORT", help="Run the replications on this Dask scheduler "
    "instead of local processes (the workers need gridsim installed). Results are identical.")]
OutOpt = Annotated[Path, typer.Option(
    "--out", help="Folder for the report: report.html, charts/*.png and every table as "
    "tables/*.csv and .json (created).")]

progress_console = Console(stderr=True)


@contextmanager
def open_runner(processes: int | None, dask: str | None, quiet: bool) -> Iterator[Runner]:
    """A :class:`Runner` for the command; an unreachable Dask scheduler is a one-line error."""
    with ExitStack() as stack:
        try:
            runner = stack.enter_context(Runner(processes=processes, dask=dask,
                                                console=progress_console, progress=not quiet))
        except ConnectionError as exc:
            raise ScenarioError("--dask", dask or "", str(exc)) from None
        yield runner


def deliver(report: Report, out: Path, console: Console | None) -> Path:
    """Write the report folder and tell the user where it is (``console`` None: say nothing,
    for --json)."""
    html = write_report(report, out)
    if console is not None:
        console.print(f"Report: {html}")
        console.print(f"Tables (CSV/JSON) and charts in {out}")
    return html
