"""Read a gridsim trace (Parquet or JSONL) and split it into per-worker shards.

The trace contract (design.md, "The trace"): one row per platform operation, sorted by ``t``.
Parquet columns are :data:`TRACE_SCHEMA`; a JSONL line is
``{"seq", "t", "op", "actor": {"role", "id", "unit"}, "case", "grid", "payload": {...}}``.

Operations are grouped into *lanes*: a case's operations form one lane, a patrol's another
(keyed by the patrol id in the payload). A lane's operations must run in trace order on one
worker, so lanes are what is sharded, by a stable hash. Operations with neither case nor patrol
(door visits) are independent; they shard by grid.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

TRACE_SCHEMA = pa.schema(
    [
        ("seq", pa.int64()),
        ("t", pa.float64()),
        ("op", pa.string()),
        ("actor_role", pa.string()),
        ("actor_id", pa.string()),
        ("actor_unit", pa.string()),
        ("case", pa.string()),
        ("grid", pa.string()),
        ("payload", pa.string()),
    ]
)
"""Columns of a Parquet trace (``case`` is null for operations on no case)."""

OPS = (
    "case.report",
    "case.accept",
    "case.dispatch",
    "case.escalate",
    "case.assign_down",
    "case.handle",
    "case.feedback",
    "case.explain_overdue",
    "case.supervise",
    "case.verify",
    "case.close",
    "patrol.start",
    "patrol.checkin",
    "patrol.end",
    "visit.record",
    "resident.query",
)
"""Every operation the trace contract defines."""

PATROL_OPS = frozenset({"patrol.start", "patrol.checkin", "patrol.end"})
CASE_LANE = "c:"
PATROL_LANE = "p:"
_GRID_SHARD = "g:"


class TraceError(Exception):
    """The trace cannot be read; the message is one line naming the file."""


def file_digest(path: Path) -> str:
    """A short content hash: the same trace file always gives the same idempotency keys."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()[:16]


def _read_jsonl(path: Path) -> pa.Table:
    columns: dict[str, list[Any]] = {name: [] for name in TRACE_SCHEMA.names}
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                actor = row["actor"]
                values = (
                    row["seq"],
                    row["t"],
                    row["op"],
                    actor["role"],
                    actor["id"],
                    actor["unit"],
                    row.get("case"),
                    row["grid"],
                    json.dumps(row.get("payload") or {}, ensure_ascii=False),
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise TraceError(f"{path}:{number}: not a trace row ({exc!r})") from None
            for name, value in zip(TRACE_SCHEMA.names, values, strict=True):
                columns[name].append(value)
    try:
        return pa.Table.from_pydict(columns, schema=TRACE_SCHEMA)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise TraceError(f"{path}: {exc}") from None


def _check_columns(path: Path, names: list[str]) -> None:
    missing = [name for name in TRACE_SCHEMA.names if name not in names]
    if missing:
        raise TraceError(f"{path}: missing trace column(s) {', '.join(missing)}")


def _read_parquet(path: Path) -> pa.Table:
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise TraceError(f"{path}: not a Parquet file ({exc})") from None
    _check_columns(path, table.column_names)
    try:
        return table.select(TRACE_SCHEMA.names).cast(TRACE_SCHEMA)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise TraceError(f"{path}: a column has the wrong type ({exc})") from None


def check_trace(path: Path) -> None:
    """A quick look before a run: the file exists and has the trace's fields (the Parquet
    schema, or the first JSONL row); the workers read it in full.

    Raises:
        TraceError: one line naming the file.
    """
    if not path.is_file():
        raise TraceError(f"{path}: no such trace file")
    if path.suffix not in (".jsonl", ".ndjson"):
        try:
            names = pq.read_schema(path).names
        except (OSError, pa.ArrowInvalid) as exc:
            raise TraceError(f"{path}: not a Parquet file ({exc})") from None
        _check_columns(path, names)
        return
    with path.open(encoding="utf-8") as f:
        first = f.readline()
    try:
        row = json.loads(first) if first.strip() else {}
    except ValueError as exc:
        raise TraceError(f"{path}:1: not JSON ({exc})") from None
    missing = [k for k in ("seq", "t", "op", "actor", "grid") if k not in row]
    if missing:
        raise TraceError(f"{path}:1: missing trace field(s) {', '.join(missing)}")


def read_table(path: Path) -> pa.Table:
    """The trace as a table of :data:`TRACE_SCHEMA`, sorted by ``t`` (stable, then by ``seq``)."""
    if not path.is_file():
        raise TraceError(f"{path}: no such trace file")
    table = _read_jsonl(path) if path.suffix in (".jsonl", ".ndjson") else _read_parquet(path)
    t = table.column("t").to_numpy(zero_copy_only=False)
    if t.size and np.isnan(t).any():
        raise TraceError(f"{path}: column t has missing values")
    if np.any(np.diff(t) < 0):  # the contract says sorted; be forgiving but deterministic
        table = table.sort_by([("t", "ascending"), ("seq", "ascending")])
    return table


def shard_of(key: str, shards: int) -> int:
    """The shard of a lane key: CRC-32, stable across processes and machines (unlike hash())."""
    return zlib.crc32(key.encode()) % shards


@dataclass
class Rows:
    """One shard's operations as plain lists (what the replay loop indexes), in time order."""

    seq: list[int]
    t: list[float]
    due: list[float]
    op: list[str]
    actor_role: list[str]
    actor_id: list[str]
    actor_unit: list[str]
    case: list[str | None]
    grid: list[str]
    payload: list[str]
    lane: list[str]  # "" for an independent operation

    def __len__(self) -> int:
        return len(self.seq)


class Trace:
    """A whole trace: what every worker needs to agree on (due times, lanes), and its shards."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.table = read_table(path)
        self.digest = file_digest(path)
        self.t = self.table.column("t").to_numpy(zero_copy_only=False)
        self.ops = self.table.column("op").to_pylist()
        self.lanes = self._lanes()

    def __len__(self) -> int:
        return self.table.num_rows

    def _lanes(self) -> list[str]:
        cases = self.table.column("case").to_pylist()
        lanes = [CASE_LANE + c if c is not None else "" for c in cases]
        is_patrol = pc.is_in(self.table.column("op"), pa.array(sorted(PATROL_OPS)))
        for i in np.flatnonzero(is_patrol.to_numpy(zero_copy_only=False)):
            if lanes[i]:
                continue
            payload = self.table.column("payload")[int(i)].as_py() or "{}"
            try:
                patrol = json.loads(payload).get("patrol")
            except (ValueError, AttributeError):
                patrol = None
            if patrol is not None:
                lanes[i] = f"{PATROL_LANE}{patrol}"
        return lanes

    def shard_index(self, shards: int) -> np.ndarray:
        """The shard of every row: its lane's, or its grid's for independent operations."""
        grids = self.table.column("grid").to_pylist()
        cache: dict[str, int] = {}
        out = np.empty(len(self.lanes), dtype=np.int32)
        for i, lane in enumerate(self.lanes):
            key = lane or _GRID_SHARD + (grids[i] or "")
            shard = cache.get(key)
            if shard is None:
                shard = cache[key] = shard_of(key, shards)
            out[i] = shard
        return out

    def rows(self, selected: np.ndarray, due: np.ndarray) -> Rows:
        """The rows where ``selected`` is true, with their due offsets."""
        index = np.flatnonzero(selected)
        part = self.table.take(pa.array(index))
        column = lambda name: part.column(name).to_pylist()  # noqa: E731
        return Rows(
            seq=column("seq"),
            t=column("t"),
            due=due[index].tolist(),
            op=column("op"),
            actor_role=column("actor_role"),
            actor_id=column("actor_id"),
            actor_unit=column("actor_unit"),
            case=column("case"),
            grid=column("grid"),
            payload=[p or "{}" for p in column("payload")],
            lane=[self.lanes[i] for i in index],
        )
