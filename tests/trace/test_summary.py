"""Operations per type and the peak rate a replay must sustain, on hand-made traces."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from sim.trace import OPS, TRACE_SCHEMA, peak_per_second, summarize


def test_peak_counts_operations_per_second_of_replay_time() -> None:
    t = np.array([0.0, 0.2, 0.9, 1.0, 59.9, 60.0, 61.0, 119.99, 120.0])
    assert peak_per_second(t) == 3  # [0, 1): 0.0, 0.2, 0.9
    assert peak_per_second(t, 60) == 5  # trace [0, 60) is replay second 0
    assert peak_per_second(t, 120) == 8
    assert peak_per_second(t, 0.5) == 2  # slower than real time: half-second windows
    assert peak_per_second(np.array([])) == 0
    with pytest.raises(ValueError):
        peak_per_second(t, 0)


def _table(ops: list[str], t: list[float]) -> pa.Table:
    n = len(ops)
    return pa.table({
        "seq": np.arange(n), "t": t,
        "op": pa.DictionaryArray.from_arrays(pa.array([OPS.index(o) for o in ops], pa.int32()),
                                             pa.array(OPS)),
        "actor_role": ["grid_worker"] * n, "actor_id": ["W0000001"] * n,
        "actor_unit": ["3299010010011000001"] * n, "case": [None] * n,
        "grid": ["3299010010011000001"] * n, "payload": ["{}"] * n,
    }, schema=TRACE_SCHEMA)


def test_summary_of_a_hand_made_trace() -> None:
    table = _table(["patrol.start", "patrol.checkin", "patrol.end", "patrol.start",
                    "visit.record"], [10.0, 10.5, 70.0, 70.2, 70.9])
    s = summarize(table, speedup=60, duration_s=100.0)
    assert s["operations"]["patrol.start"] == 2 and s["operations"]["visit.record"] == 1
    assert s["operations"]["case.report"] == 0 and list(s["operations"]) == list(OPS)
    assert s["total"] == 5
    assert s["peak_per_s"] == {"1x": 3, "speedup": 3}  # [70, 71) at 1×; [60, 120) at 60×
    assert s["mean_per_s"]["1x"] == pytest.approx(0.05)
    assert s["mean_per_s"]["speedup"] == pytest.approx(3.0)
    assert summarize(table, speedup=600)["peak_per_s"]["speedup"] == 5
    assert summarize(table.slice(0, 0))["total"] == 0
