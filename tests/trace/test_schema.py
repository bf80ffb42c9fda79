"""The trace's shape: schema, order, JSON payloads, and JSONL carrying the same rows."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from sim.metrics.records import iso
from sim.trace import TRACE_SCHEMA, write_trace
from sim.trace.schema import OPS
from tests.trace.conftest import Traced


def test_schema_seq_and_time_order(traced: Traced) -> None:
    t = traced.table
    assert t.schema == TRACE_SCHEMA
    assert t.column("seq").to_pylist() == list(range(t.num_rows))
    times = t.column("t").to_numpy()
    assert (np.diff(times) >= 0).all()
    assert times[0] >= 0 and times[-1] <= traced.result.model.horizon * 3600
    assert set(t.column("op").unique().to_pylist()) <= set(OPS)
    assert t.column("case").null_count == sum(
        r["op"].startswith(("patrol.", "visit.")) for r in traced.rows)
    assert all(len(r["grid"]) == 19 and r["grid"].isdigit() for r in traced.rows)


def test_ties_keep_the_order_the_model_performed_them(traced: Traced) -> None:
    """Operations at one instant appear as the model emitted them (queries are not the
    model's)."""
    emitted: dict[float, list[tuple[str, int]]] = defaultdict(list)
    for t, op, *_, case, _grid, _fields in traced.result.model.tracer.rows():
        emitted[t * 3600.0].append((op, case))
    exported: dict[float, list[tuple[str, int]]] = defaultdict(list)
    for r in traced.rows:
        if r["op"] != "resident.query":
            case = -1 if r["case"] is None else int(r["case"][1:]) - 1
            exported[r["t"]].append((r["op"], case))
    assert exported == emitted


def test_payloads_are_sorted_json_objects_stamped_at_their_time(traced: Traced) -> None:
    at = iso(traced.table.column("t").to_numpy() / 3600.0).to_pylist()
    for r, text, when in zip(traced.rows, traced.table.column("payload").to_pylist(), at,
                             strict=True):
        assert isinstance(r["payload"], dict)
        assert text == json.dumps(r["payload"], ensure_ascii=False, sort_keys=True,
                                  separators=(",", ":"))
        assert r["payload"]["at"] == when


def test_jsonl_and_parquet_hold_the_same_rows(traced: Traced, tmp_path: Path) -> None:
    write_trace(traced.table, tmp_path / "t.parquet")
    write_trace(traced.table, tmp_path / "t.jsonl")
    assert pq.read_table(tmp_path / "t.parquet").equals(traced.table)
    lines = (tmp_path / "t.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(traced.rows)
    for line, r in zip(lines, traced.rows, strict=True):
        obj = json.loads(line)
        assert list(obj) == ["seq", "t", "op", "actor", "case", "grid", "payload"]
        assert obj == {"seq": r["seq"], "t": r["t"], "op": r["op"],
                       "actor": {"role": r["actor_role"], "id": r["actor_id"],
                                 "unit": r["actor_unit"]},
                       "case": r["case"], "grid": r["grid"], "payload": r["payload"]}
