"""A traced run's operations → one sorted Arrow table (schema.py) → Parquet or JSONL.

Columnar throughout: the tracer's rows are split into columns once, payloads are built per
operation type (:mod:`sim.trace.payload`) and JSONL lines by concatenating encoded columns, so
nothing is serialised row by row in Python.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sim.model.arrivals.poisson import SOURCES
from sim.model.engine import Model
from sim.trace.jsontext import join, labels, strings, text_bytes
from sim.trace.payload import Ops, Payloads
from sim.trace.queries import resident_queries
from sim.trace.schema import FORMATS, OP_CODE, OPS, TRACE_SCHEMA

# The trace draws from its own stream of the run's seed: the model spawns children 0–3 of
# SeedSequence(seed), this is a child it will never spawn, so tracing changes nothing else.
TRACE_STREAM = 1 << 16
# JSON lines are built and written this many rows at a time (≈10 MB of text), so the text of a
# long trace is never all in memory at once
LINES = 1 << 15


class TraceError(Exception):
    """The trace cannot be written where asked (one line: path and reason)."""


def trace_format(path: Path) -> str:
    """The format chosen by ``path``'s suffix (``.parquet`` or ``.jsonl``)."""
    if path.suffix not in FORMATS:
        raise TraceError(f"{path}: unknown trace format {path.suffix or '(no suffix)'!r}; "
                         f"use {' or '.join(FORMATS)}")
    return path.suffix


def check_writable(path: Path) -> None:
    """Fail early (before a long simulation) if ``path`` has a bad suffix or cannot be written."""
    trace_format(path)
    if path.is_dir():
        raise TraceError(f"{path}: is a directory")
    if not path.parent.is_dir():
        raise TraceError(f"{path}: no such directory {str(path.parent)!r}")
    if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise TraceError(f"{path}: not writable")


def collect(m: Model, seed: int) -> tuple[Ops, np.random.Generator]:
    """The model's operations plus resident queries as columns, in the order performed, and
    the random stream for their payloads."""
    if m.tracer is None:
        raise ValueError("the run was not traced: simulate(..., trace=True)")
    tr = m.tracer
    n = len(tr)
    q_rng, p_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(
        seed, spawn_key=(TRACE_STREAM,)).spawn(2))
    q_t, q_case = resident_queries(m, q_rng)
    q_grid = m.arrivals.grid[q_case]
    # asked on the platform by whoever reported it: the resident, or the hotline for a caller
    q_role: list[str] = []
    q_actor: list[str] = []
    q_unit: list[str] = []
    for i, source in zip(q_case.tolist(), m.cases.entry_source[q_case].tolist(), strict=True):
        role, actor, unit = tr.reporter(i, SOURCES[source])
        q_role.append(role)
        q_actor.append(actor)
        q_unit.append(str(unit))
    ops = Ops(
        t=np.concatenate([np.array(tr.t, np.float64), q_t]),
        op=np.concatenate([np.fromiter(map(OP_CODE.__getitem__, tr.op), np.int8, n),
                           np.full(q_case.size, OP_CODE["resident.query"], np.int8)]),
        role=pa.array(tr.role + q_role, pa.string()).dictionary_encode(),
        actor=pa.array(tr.actor + q_actor, pa.string()),
        unit=pa.array(tr.unit + q_unit, pa.string()),
        case=np.concatenate([np.array(tr.case, np.int64), q_case]),
        grid=np.concatenate([np.array(tr.grid, np.int64), q_grid]),
        fields=tr.fields + [{}] * q_case.size,
    )
    return ops, p_rng


def build_trace(m: Model, seed: int) -> pa.Table:
    """The trace of a run simulated with ``trace=True`` and ``seed``, sorted by time (ties in
    the order performed), with synthetic payloads; see :mod:`sim.trace.schema`."""
    ops, rng = collect(m, seed)
    t = ops.t * 3600.0
    order = np.argsort(t, kind="stable")
    case = ops.case[order]
    take = pa.array(order)
    return pa.table({
        "seq": np.arange(order.size, dtype=np.int64),
        "t": t[order],
        "op": pa.DictionaryArray.from_arrays(pa.array(ops.op[order], pa.int32()),
                                             pa.array(OPS)),
        "actor_role": ops.role.take(take).cast(pa.string()),
        "actor_id": ops.actor.take(take),
        "actor_unit": ops.unit.take(take),
        # every case's id once, then one per row (null where no case)
        "case": labels("C", np.arange(1, m.cases.n + 1), 8).take(pa.array(case, mask=case < 0)),
        "grid": pa.array(m.world.grid_code.tolist(), pa.string()).take(pa.array(ops.grid[order])),
        "payload": Payloads(m, ops, rng).column(order),
    }, schema=TRACE_SCHEMA)


def write_parquet(table: pa.Table, path: Path) -> None:
    """Write the trace as Parquet (zstd; dictionaries only where values repeat)."""
    pq.write_table(table, path, compression="zstd",
                   use_dictionary=["op", "actor_role", "actor_id", "actor_unit", "grid"],
                   write_statistics=["seq", "t", "op", "case", "grid"])


def write_jsonl(table: pa.Table, path: Path) -> None:
    """Write the trace as JSON lines (schema.py), a block of rows at a time."""
    with path.open("wb") as fh:
        for batch in table.to_batches(max_chunksize=LINES):
            c = {name: batch.column(name) for name in batch.schema.names}
            # these repeat: picked from their distinct values, so the text between them folds
            # into those instead of being joined on every line (jsontext.Pick)
            code = {name: strings(c[name].dictionary_encode())
                    for name in ("actor_role", "actor_id", "actor_unit", "case", "grid")}
            lines = join(
                '{"seq":', pc.cast(c["seq"], pa.string()),
                ',"t":', pc.cast(c["t"], pa.string()),
                ',"op":', strings(c["op"]),
                ',"actor":{"role":', code["actor_role"],
                ',"id":', code["actor_id"],
                ',"unit":', code["actor_unit"],
                '},"case":', code["case"],
                ',"grid":', code["grid"],
                ',"payload":', c["payload"], "}\n")
            fh.write(text_bytes(lines))  # each value ends its own line


def write_trace(table: pa.Table, path: Path) -> None:
    """Write the trace to ``path`` in the format its suffix names; :class:`TraceError` (one
    line) if it cannot be written."""
    writer = {".parquet": write_parquet, ".jsonl": write_jsonl}[trace_format(path)]
    try:
        writer(table, path)
    except OSError as exc:
        raise TraceError(f"{path}: cannot write: {exc.strerror or exc}") from None
