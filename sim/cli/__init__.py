"""The `gridsim` command line: one module per verb, registered here."""

from __future__ import annotations

import sys

import typer

from sim.config.errors import ScenarioError

app = typer.Typer(
    name="gridsim",
    help="Simulate grid-based service management under real jurisdictions' rules, "
    "size staffing, compare rule sets and load-test case platforms.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)


@app.callback()
def _root() -> None:
    """gridsim: grid-based service management, simulated and load-tested."""


def _register() -> None:
    # Each verb lives in its own module; importing it adds its command to `app`.
    from loadtest.platform.cli import app as platform_app
    from reports.cli import register as register_report
    from sim.cli import bench, compare, deadlines, loadtest, run, size, sweep, trace, world  # noqa: F401

    register_report(app)
    app.add_typer(platform_app, name="platform", help="Run the reference case platform.")


def main() -> None:
    """Entry point: run the CLI, turning scenario errors into one line and exit code 2."""
    _register()
    try:
        app(standalone_mode=True)
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
