"""Benchmark the planner tools on the district scenario (figures are measured, not asserted).

    python bench/planning_bench.py replications [--processes 2] [--reps 8]
    python bench/planning_bench.py size [--processes 2] [--target on_time=0.95] [--tier …]

``replications``: wall time of a batch of replications of scenarios/district-jiangsu.toml
(30 days each) on local processes, as replications per second. ``size``: wall time of the
sizing search ``gridsim size`` runs, with its default replications.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from sim.planning.experiment import Design, Source, run_variants
from sim.planning.replicate import Runner, replication_seeds
from sim.planning.size import parse_target, size, tiers_of

ROOT = Path(__file__).resolve().parents[1]
DISTRICT = ROOT / "scenarios" / "district-jiangsu.toml"


def bench_replications(processes: int, reps: int) -> None:
    """Replications per second of the district scenario."""
    source = Source(DISTRICT)
    base = source.load()
    design = Design(replication_seeds(base.meta.seed, reps), base.meta.days)
    with Runner(processes=processes, progress=False) as runner:
        t0 = time.perf_counter()
        run_variants(runner, [source.variant("district")], design)
        wall = time.perf_counter() - t0
    print(f"replications: {reps} × {design.days:g} days on {runner.describe()}: {wall:.1f} s, "
          f"{reps / wall:.3f} replications/s ({wall / reps:.2f} s each)")


def bench_size(processes: int, target: str, tiers: list[str], reps: int) -> None:
    """Wall time of a sizing search."""
    source = Source(DISTRICT)
    base = source.load()
    design = Design(replication_seeds(base.meta.seed, reps), base.meta.days)
    tiers = tiers or tiers_of(base)
    with Runner(processes=processes, progress=False) as runner:
        t0 = time.perf_counter()
        s = size(runner, source, parse_target(target), tiers, design)
        wall = time.perf_counter() - t0
    rec = s.recommended
    levels = "; ".join(f"{ld.tier} {ld.label(lv)}"
                       for ld, lv in zip(s.ladders, rec.levels, strict=True)) if rec else "-"
    for c in s.candidates:
        print(f"  {c.phase:22s} {c.levels} {c.summary.mean:.4f} [{c.summary.lo:.4f}, "
              f"{c.summary.hi:.4f}] n={c.summary.n} meets={c.meets}")
    print(f"size {target} over {', '.join(tiers)} on {runner.describe()}: {wall:.1f} s, "
          f"{len(s.candidates)} candidates, {runner.runs} runs; reached={s.reachable}; "
          f"recommended: {levels}")


def main() -> None:
    """Parse the command line and run the chosen benchmark."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("what", choices=["replications", "size"])
    p.add_argument("--processes", type=int, default=os.cpu_count())
    p.add_argument("--reps", type=int, default=None,
                   help="replications (default: 8 for replications, 4 — gridsim size's — for size)")
    p.add_argument("--target", default="on_time=0.95")
    p.add_argument("--tier", action="append", default=[])
    a = p.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    if a.what == "replications":
        bench_replications(a.processes, a.reps or 8)
    else:
        bench_size(a.processes, a.target, a.tier, a.reps or 4)


if __name__ == "__main__":
    main()
