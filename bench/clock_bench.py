"""Per-call cost of the working-hours calendar's queries (``add``, ``next_open``, ``worked``).

Times each query over calls like a run's — times increasing through 30 days, work of minutes
to a few hours (exponential, mean 30 min) — on an office calendar (08:30–17:30,
Monday–Friday, no holidays); ``add in shift`` only on work that begins and ends inside one
shift, the common case in a run (a time drawn round the clock is mostly off shift).
``--module FILE`` times another ``clock.py`` (e.g. an older version saved from git) beside
the current one, in the same process. Figures include the loop's own cost.

    git show 4fae116:sim/model/clock.py > /tmp/old_clock.py   # the weekly-only calendar
    python bench/clock_bench.py --module /tmp/old_clock.py
"""

from __future__ import annotations

import argparse
import importlib.util
import timeit
from pathlib import Path
from types import ModuleType

import numpy as np

import sim.model.clock


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"clock_{path.stem}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bench(module: ModuleType, n: int, repeat: int) -> dict[str, float]:
    """Best-of-``repeat`` nanoseconds per call of each query on ``module``'s office calendar."""
    rng = np.random.default_rng(1)
    ts = np.sort(rng.uniform(0, 30 * 24, n)).tolist()
    hs = rng.exponential(0.5, n).tolist()
    pairs = list(zip(ts, hs, strict=True))
    # the same work placed inside a weekday's shift
    days = rng.integers(0, 4, n) * 7 + rng.integers(0, 5, n)
    h_in = np.minimum(hs, 8.0)
    t_in = days * 24 + 8.5 + rng.uniform(0, 1, n) * (9.0 - h_in)
    order = np.argsort(t_in)
    inside = list(zip(t_in[order].tolist(), h_in[order].tolist(), strict=True))
    cal = module.Calendar(8.5, 17.5, range(5))
    cal.add(ts[-1], 1000.0)  # built as far as the loops reach: time the queries, not set-up
    add, next_open, worked = cal.add, cal.next_open, cal.worked
    loops = {
        "add": lambda: [add(t, h) for t, h in pairs],
        "add in shift": lambda: [add(t, h) for t, h in inside],
        "next_open": lambda: [next_open(t) for t in ts],
        "worked": lambda: [worked(t) for t in ts],
    }
    return {k: min(timeit.repeat(f, number=1, repeat=repeat)) / n * 1e9 for k, f in loops.items()}


def main() -> None:
    """Print ns/call per query for the current clock and any ``--module`` given."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--module", type=Path, action="append", default=[],
                   help="another clock.py to time beside the current one (repeatable)")
    p.add_argument("--calls", type=int, default=100_000)
    p.add_argument("--repeat", type=int, default=7)
    args = p.parse_args()
    modules = {"current": sim.model.clock} | {str(m): _load(m) for m in args.module}
    for name, module in modules.items():
        r = bench(module, args.calls, args.repeat)
        print(f"{name}: " + ", ".join(f"{k} {v:.0f} ns/call" for k, v in r.items()))


if __name__ == "__main__":
    main()
