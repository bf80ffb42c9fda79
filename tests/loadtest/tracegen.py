"""Write small traces in the trace contract's exact shape (until `gridsim trace` lands).

Parquet: seq int64, t float64, op, actor_role, actor_id, actor_unit strings, case nullable
string, grid string, payload JSON string. JSONL: {"seq","t","op","actor":{"role","id","unit"},
"case","grid","payload":{...}} per line. Rows sorted by t, seq 0..n-1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

SCHEMA = pa.schema([
    ("seq", pa.int64()), ("t", pa.float64()), ("op", pa.string()), ("actor_role", pa.string()),
    ("actor_id", pa.string()), ("actor_unit", pa.string()), ("case", pa.string()),
    ("grid", pa.string()), ("payload", pa.string()),
])

Actor = tuple[str, str, str]  # role, id, unit code


class TraceBuilder:
    """Collect operations in any order; write them sorted by t with seq 0..n-1."""

    def __init__(self) -> None:
        self.ops: list[dict[str, Any]] = []

    def add(self, t: float, op: str, actor: Actor, grid: str, case: str | None = None,
            **payload: Any) -> None:
        role, actor_id, unit = actor
        self.ops.append({"t": float(t), "op": op, "actor": {"role": role, "id": actor_id,
                         "unit": unit}, "case": case, "grid": grid, "payload": payload})

    def rows(self) -> list[dict[str, Any]]:
        """JSONL-shaped rows, sorted by t (stable), numbered."""
        ordered = sorted(self.ops, key=lambda r: r["t"])
        return [{"seq": i, **r} for i, r in enumerate(ordered)]

    def write(self, path: Path) -> Path:
        rows = self.rows()
        if path.suffix == ".jsonl":
            path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                            encoding="utf-8")
            return path
        flat = [{"seq": r["seq"], "t": r["t"], "op": r["op"], "actor_role": r["actor"]["role"],
                 "actor_id": r["actor"]["id"], "actor_unit": r["actor"]["unit"],
                 "case": r["case"], "grid": r["grid"],
                 "payload": json.dumps(r["payload"], ensure_ascii=False)} for r in rows]
        pq.write_table(pa.Table.from_pylist(flat, schema=SCHEMA), path)
        return path
