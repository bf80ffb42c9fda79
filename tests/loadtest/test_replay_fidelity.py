"""Schedule fidelity: at a moderate rate, every operation leaves at its scheduled time.

Bound: send lag (actual − scheduled send, measured by the replay) p50 under 5 ms and p99 under
30 ms, and the same seen from the server (arrival − scheduled time) p99 under 50 ms, at 200
operations/s on one worker — on a 2-core machine that also runs the Locust master, the fake
server and pytest (typically p50 ≈ 1.5 ms, p99 ≈ 10 ms there). The benchmark
(bench/replay_bench.py) measures the figures at 1,000 operations/s.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np

from tests.loadtest.conftest import FAKE_PROFILE, replay
from tests.loadtest.fakes import FakePlatform
from tests.loadtest.tracegen import TraceBuilder

W = ("grid_worker", "W0000001", "3700000000000000001")
RATE, SECONDS, SPEEDUP = 200, 4, 10.0
LAG_P99_MS, ARRIVAL_P99_MS = 30.0, 50.0


def test_sends_happen_at_their_scheduled_times(tmp_path: Path) -> None:
    b = TraceBuilder()
    rng = np.random.default_rng(1)
    # Poisson arrivals (in trace time, SPEEDUP× slower than the replay), on 16 grids
    t = np.cumsum(rng.exponential(SPEEDUP / RATE, RATE * SECONDS))
    for i, ti in enumerate(t):
        b.add(float(ti), "visit.record", W, f"37000000000000000{i % 16:02d}", household=f"H{i}")
    trace = b.write(tmp_path / "trace.parquet")
    with FakePlatform() as fake:
        code, results = replay(trace, fake.url, tmp_path / "out", speedup=SPEEDUP,
                               profile=FAKE_PROFILE, check=f"lag_p99<{LAG_P99_MS}ms")
    assert code == 0, results["checks"]
    visits = results["ops"]["visit.record"]
    assert visits["counts"]["ok"] == len(t)
    assert visits["lag"]["p99"] < LAG_P99_MS and visits["lag"]["p50"] < 5

    # the server's view: arrival time against the start the master announced + due offset
    start = datetime.fromisoformat(results["meta"]["started_at"]).timestamp()
    arrivals = np.sort([h.at for h in fake.hits if h.path == "/visits"])
    due = start + (t - t[0]) / SPEEDUP
    late_ms = (arrivals - due) * 1000
    assert np.percentile(late_ms, 99) < ARRIVAL_P99_MS, np.percentile(late_ms, [50, 99, 100])
    assert late_ms.min() > -1  # never early
