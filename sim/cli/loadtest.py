"""`gridsim loadtest`: replay a trace against a case platform with Locust, open loop."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sim.cli import app
from sim.cli.common import console, table

if TYPE_CHECKING:
    from loadtest.replay.options import Settings

_DURATION_HELP = "e.g. 500ms, 5s, 2m"


def _fail(message: str) -> typer.Exit:
    """Print one line and give the usage exit code."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _duration(text: str | None, option: str) -> float | None:
    from loadtest.replay.schedule import parse_duration

    if text is None:
        return None
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise _fail(f"{option}: {exc}") from None


def _settings(**values: Any) -> Settings:
    """Check everything that can be checked before Locust starts; one line per mistake."""
    from loadtest.replay.checks import CheckError, parse_checks
    from loadtest.replay.options import Settings
    from loadtest.replay.profile import ProfileError, load_profile
    from loadtest.replay.trace import TraceError, check_trace

    try:
        settings = Settings(**values)
        check_trace(Path(settings.trace))
        load_profile(settings.profile)
        parse_checks(settings.check)
        if settings.tokens is not None:
            tokens = json.loads(Path(settings.tokens).read_text(encoding="utf-8"))
            if not isinstance(tokens, dict):
                raise ValueError(f"{settings.tokens}: expected a JSON object {{user id: token}}")
    except (TraceError, ProfileError, CheckError, ValueError, OSError) as exc:
        raise _fail(str(exc)) from None
    return settings


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f}"


def print_summary(results: dict[str, Any], out: Path, report: bool) -> None:
    """The run's headline figures on the console."""
    meta = results["meta"]
    rows = [
        {
            "op": op,
            "due": r["counts"]["due"],
            "ok": r["counts"]["ok"],
            "failed": r["counts"]["failed"],
            "skipped": r["counts"]["skipped"],
            "unsupported": r["counts"]["unsupported"],
            "p99 ms": _ms(r["sched"]["p99"]),
            "lag p99 ms": _ms(r["lag"]["p99"]),
        }
        for op, r in results["ops"].items()
    ]
    console.print(
        f"[bold]{meta['trace']}[/] → {meta['host']} ({meta['profile']}), {meta['workers']} "
        f"worker(s), ×{meta['speedup']}: {meta['window_rows']} of {meta['trace_rows']} "
        f"operations due, sent in {meta['sending_s']} s ({meta['throughput_ops_s']} ops/s)"
    )
    if rows:
        console.print(table("operations (p99: response time from the scheduled time)", rows))
    rec = results["reconcile"]
    if rec["configured"]:
        dup = rec["duplicated"] if rec["listed"] else f"{rec['duplicated']} (listing incomplete)"
        console.print(
            f"reconciliation: {rec['checked']} cases read back — lost {rec['lost']}, "
            f"duplicated {dup}, mismatched {rec['mismatched']}, unverified {rec['unverified']}"
            f", strays {len(rec['strays'])}"
        )
    else:
        console.print("reconciliation: not configured in the profile")
    for check in results["checks"]:
        mark = "[green]pass[/]" if check["passed"] else "[red]FAIL[/]"
        console.print(f"check {check['check']}: {mark} (measured {check['value']})")
    for problem in results["problems"]:
        console.print(f"[red]problem:[/] {problem}")
    for warning in results["warnings"]:
        console.print(f"[yellow]warning:[/] {warning}")
    verdict = "[green]PASSED[/]" if results["passed"] else "[red]FAILED[/]"
    console.print(f"{verdict} — {out / ('report.html' if report else 'results.json')}")


@app.command("loadtest")
def loadtest_cmd(
    trace: Annotated[Path, typer.Argument(help="Trace (.parquet or .jsonl) from `gridsim trace`.")],
    host: Annotated[str, typer.Option(
        "--host", help="Platform base URL; loopback only (127.0.0.0/8, ::1, localhost).")],
    out: Annotated[Path, typer.Option(
        "--out", help="Folder for report.html, CSV tables, results.json, hdr.json, locust.log.")],
    profile: Annotated[str, typer.Option(
        "--profile", help="reference, open311, szcg-example, or a profile TOML file.")] = (
        "reference"),
    speedup: Annotated[float, typer.Option(
        "--speedup", help="Replay this many times faster than the trace's clock.", min=1e-9)] = 60,
    max_idle: Annotated[str | None, typer.Option(
        "--max-idle", help=f"Shorten idle gaps (after speed-up) to this; {_DURATION_HELP}.")] = (
        None),
    processes: Annotated[int, typer.Option(
        "--processes", help="Locust worker processes (the trace is sharded by case).", min=1)] = 1,
    max_requests: Annotated[int | None, typer.Option(
        "--max-requests", help="Send at most the first N supported operations.", min=1)] = None,
    max_duration: Annotated[str | None, typer.Option(
        "--max-duration", help=f"Send only operations due within this; {_DURATION_HELP}.")] = None,
    tokens: Annotated[Path | None, typer.Option(
        "--tokens", help="{user id: token} JSON from `gridsim platform seed --tokens`.")] = None,
    check: Annotated[str | None, typer.Option(
        "--check", help="Thresholds, e.g. 'p99<500ms,fail<0.1%,lag_p99<50ms'; any failing "
        "one fails the run.")] = None,
    connections: Annotated[int, typer.Option(
        "--connections", help="Most operations in flight per worker.", min=1)] = 256,
    late_after: Annotated[str, typer.Option(
        "--late-after", help=f"A send this late counts as late; {_DURATION_HELP}.")] = "10ms",
    report: Annotated[bool, typer.Option(
        "--report/--no-report", help="Write report.html with charts and CSV tables; "
        "--no-report keeps results.json and hdr.json only.")] = True,
) -> None:
    """Replay TRACE against the platform at --host, open loop: each operation at its scheduled
    time (trace time ÷ --speedup), each case's operations in order on one worker, ids the
    platform returns used by later steps. Then read every case back and compare it with the
    trace. Prints a summary and writes an HTML report with charts and CSVs into --out.

    Exit code 0 when every check passes and no case is lost, duplicated or mismatched; 1
    otherwise; 2 for a usage error (including any host that is not this machine)."""
    # Imported here, not at the top, so that `gridsim --help` stays quick.
    from loadtest.replay.options import check_host
    from loadtest.replay.runner import LOG, read_results, run

    try:
        check_host(host)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    settings = _settings(
        trace=str(trace),
        profile=profile,
        speedup=speedup,
        max_idle=_duration(max_idle, "--max-idle"),
        max_requests=max_requests,
        max_duration=_duration(max_duration, "--max-duration"),
        tokens=str(tokens) if tokens else None,
        check=check or "",
        out=str(out),
        connections=connections,
        late_after=_duration(late_after, "--late-after"),
        report=report,
    )
    with console.status(f"replaying {trace} against {host} with {processes} worker(s)…"):
        code = run(settings, host, processes)
    results = read_results(out)
    if results is None:
        log = (out / LOG).read_text(encoding="utf-8", errors="replace").splitlines()
        typer.echo("\n".join(log[-20:]), err=True)
        typer.echo(f"error: Locust ended (exit code {code}) without results; see {out / LOG}",
                   err=True)
        raise typer.Exit(code or 1)
    print_summary(results, out, report)
    raise typer.Exit(code)
