"""Benchmark of the trace export: an already-simulated run's rows → Parquet and → JSONL.

Simulates SCENARIO once with tracing (not timed), then times, ``--repeat`` times per format,
the whole export from the tracer's rows: building the sorted table with payloads
(:func:`sim.trace.build_trace`) plus writing it to a new file. Prints operations per second,
the median of the repeats and the first run's (which also pays one-off costs: Faker filling
its pools, lazy imports), and the file sizes. CPU-time rates are given beside wall-clock ones
because a shared machine's wall clock measures its other load as much as the export.

    python bench/trace_bench.py scenarios/district-jiangsu.toml --days 30
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sim.config import load_scenario
from sim.model.engine import Model
from sim.runner import simulate
from sim.trace import build_trace, write_trace


@dataclass
class Timing:
    """One export: operations, wall-clock and CPU seconds (build + write)."""

    ops: int
    wall: float
    cpu: float


def _export(model: Model, seed: int, path: Path) -> Timing:
    # the previous repeat's file goes first, untimed: truncating it (≈50 MB of JSONL per 30
    # days) is the file system freeing pages, not the export
    path.unlink(missing_ok=True)
    wall, cpu = time.perf_counter(), time.process_time()
    table = build_trace(model, seed)
    write_trace(table, path)
    return Timing(table.num_rows, time.perf_counter() - wall, time.process_time() - cpu)


def main() -> None:
    """Run the benchmark and print its figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scenario", nargs="?", default="scenarios/district-jiangsu.toml")
    ap.add_argument("--days", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--set", dest="sets", action="append", default=[],
                    help="scenario override KEY=VALUE (repeatable)")
    args = ap.parse_args()

    scenario = load_scenario(args.scenario, sets=args.sets)
    start = time.perf_counter()
    result = simulate(scenario, days=args.days, seed=args.seed, trace=True)
    assert result.model is not None  # a traced run keeps its live model
    sim_s = time.perf_counter() - start
    print(f"{scenario.meta.name}: {args.days:g} days simulated in {sim_s:.1f} s; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")

    with tempfile.TemporaryDirectory() as tmp:
        for suffix in (".parquet", ".jsonl"):
            path = Path(tmp) / f"trace{suffix}"
            runs = [_export(result.model, args.seed, path) for _ in range(args.repeat)]
            n = runs[0].ops
            wall = statistics.median(r.wall for r in runs)
            cpu = statistics.median(r.cpu for r in runs)
            print(f"{suffix[1:]:>8}: {n:,} ops, {path.stat().st_size / 1e6:.1f} MB; median "
                  f"{wall:.2f} s wall = {n / wall:,.0f} ops/s, {cpu:.2f} s CPU = "
                  f"{n / cpu:,.0f} ops/s (first run {n / runs[0].wall:,.0f} / "
                  f"{n / runs[0].cpu:,.0f} ops/s)")
    print(f"load average after: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
