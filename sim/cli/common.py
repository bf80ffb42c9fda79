"""Options and helpers shared by the CLI verbs."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from sim.config import Scenario, load_scenario
from sim.model.clock import day_date, holidays_of

console = Console()

ScenarioArg = Annotated[Path, typer.Argument(
    help="Scenario TOML file, e.g. scenarios/district-jiangsu.toml.", show_default=False)]
SetOpt = Annotated[list[str] | None, typer.Option(
    "--set", help="Override any scenario key, KEY=VALUE in TOML syntax; repeatable. "
    "E.g. --set staffing.centres.county=10 --set scenario.seed=7.")]
RulesOpt = Annotated[str | None, typer.Option(
    "--rules", help="Swap the rule set: a name in scenarios/rules/ (jiangsu, qingdao, "
    "liaocheng, zigong) or a path to a rules TOML file.")]
SeedOpt = Annotated[int | None, typer.Option(
    "--seed", help="Random seed; defaults to the scenario's [scenario] seed.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines instead of tables.")]
DaysOpt = Annotated[float | None, typer.Option(
    "--days", help="Days to simulate; defaults to the scenario's [scenario] days.", min=0.01)]


def load(path: Path, sets: list[str] | None, rules: str | None, seed: int | None) -> Scenario:
    """Load a scenario with the common overrides applied."""
    all_sets = list(sets or [])
    if seed is not None:
        all_sets.append(f"scenario.seed={seed}")
    return load_scenario(path, sets=all_sets, parts={"rules": rules} if rules else None)


def warn_uncovered_holidays(s: Scenario, days: float) -> None:
    """Warn on stderr when a run of ``days`` outlasts its holiday calendar (days it does not
    cover are ordinary working days)."""
    holidays = holidays_of(s.holidays)
    if holidays is not None and not holidays.covers(0, math.ceil(days)):
        years = ", ".join(str(y) for y in sorted(s.holidays.years))  # type: ignore[union-attr]
        Console(stderr=True).print(
            f"[yellow]warning:[/] {s.files['holidays']} covers {years}; the run goes on to "
            f"{day_date(math.ceil(days) - 1)}, and uncovered days are ordinary working days",
            soft_wrap=True)


def print_json(data: Any) -> None:
    """JSON on stdout, UTF-8, stable key order."""
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=str))


def table(title: str, rows: list[dict[str, Any]], columns: list[str] | None = None) -> Table:
    """A plain rich table from row dicts."""
    columns = columns or (list(rows[0]) if rows else [])
    t = Table(title=title, title_justify="left", show_lines=False)
    for c in columns:
        t.add_column(c, justify="right" if rows and isinstance(rows[0].get(c), int | float)
                     else "left")
    for r in rows:
        t.add_row(*(_fmt(r.get(c)) for c in columns))
    return t


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.3f}" if abs(v) < 10 else f"{v:,.1f}"
    if isinstance(v, int):
        return f"{v:,}"
    return "" if v is None else str(v)


def kv_table(title: str, data: dict[str, Any], key: str = "kind", value: str = "count") -> Table:
    """A two-column table from a mapping."""
    return table(title, [{key: k, value: v} for k, v in data.items()], [key, value])
