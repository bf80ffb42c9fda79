"""What a trace asks of a platform: operations per type and the peak rate a replay must hold.

A replay at speed-up ``s`` plays trace second ``t`` at wall second ``t / s``; its peak load is
the most operations falling in one wall-clock second, i.e. in a window of ``s`` trace seconds.
Windows are aligned at the start of the run (``[0, 1)``, ``[1, 2)`` … of replay time).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from sim.trace.schema import OPS


def peak_per_second(t: np.ndarray, speedup: float = 1.0) -> int:
    """Most operations in one second of replay time at ``speedup`` (``t`` in trace seconds)."""
    if speedup <= 0:
        raise ValueError(f"speedup must be positive, got {speedup}")
    if t.size == 0:
        return 0
    # counting per occupied second (not bincount over every second) keeps memory to the ops'
    _, counts = np.unique(np.floor(np.asarray(t) / speedup), return_counts=True)
    return int(counts.max())


def summarize(table: pa.Table, speedup: float = 60.0,
              duration_s: float | None = None) -> dict[str, Any]:
    """``operations`` per type (every type of :data:`~sim.trace.schema.OPS`, zeros
    included), the ``total``, and ``peak_per_s`` and ``mean_per_s`` operations per second,
    each ``{"1x": …, "speedup": …}``; the mean is over ``duration_s`` (the run's length;
    default: up to the last operation)."""
    t = table.column("t").to_numpy()
    ops = table.column("op").combine_chunks()
    counts = np.bincount(ops.indices.to_numpy(zero_copy_only=False), minlength=len(OPS))
    span = float(t.max(initial=0.0)) if duration_s is None else duration_s
    mean = table.num_rows / span if span > 0 else 0.0
    return {
        "operations": {op: int(n) for op, n in zip(ops.dictionary.to_pylist(), counts,
                                                   strict=True)},
        "total": table.num_rows,
        "duration_s": span,
        "speedup": speedup,
        "peak_per_s": {"1x": peak_per_second(t), "speedup": peak_per_second(t, speedup)},
        "mean_per_s": {"1x": mean, "speedup": mean * speedup},
    }
