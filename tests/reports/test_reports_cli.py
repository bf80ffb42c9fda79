"""`gridsim report DIR`: re-renders a folder; bad folders give one line and exit code 2."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from reports.cli import register


@pytest.fixture
def app() -> typer.Typer:
    """A CLI like gridsim's: a callback (so commands are subcommands) plus `report`."""
    application = typer.Typer()

    @application.callback()
    def main() -> None:
        """gridsim stand-in."""

    register(application)
    return application


def test_report_rerenders(app: typer.Typer, written_once: Path, tmp_path: Path) -> None:
    """Exit 0, prints the HTML path, and the HTML is back."""
    out = tmp_path / "out"
    shutil.copytree(written_once, out)
    (out / "report.html").unlink()
    result = CliRunner().invoke(app, ["report", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(out / "report.html")
    assert (out / "report.html").read_bytes() == (written_once / "report.html").read_bytes()


@pytest.mark.parametrize("make", [lambda tmp: tmp / "missing", lambda tmp: tmp])
def test_bad_folder_is_one_line_exit_2(app: typer.Typer, tmp_path: Path, make) -> None:
    """A missing folder or one without report.json: `error: …` on stderr, no traceback."""
    result = CliRunner().invoke(app, ["report", str(make(tmp_path))])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
