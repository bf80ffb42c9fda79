"""One row per reported case (Open311-like fields plus every step's time) as a Parquet table."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pyarrow as pa

from sim.model.arrivals.poisson import DIFFICULTIES, SOURCES, URGENCIES
from sim.model.case import TIMES
from sim.model.record import RunRecord

# Day 0 of every run: a Monday, in China Standard Time. Runs never read the wall clock.
EPOCH = datetime(2024, 1, 1, tzinfo=timezone(timedelta(hours=8)))
TIERS = ("grid", "township", "county", "city")


def iso(hours: np.ndarray) -> list[str | None]:
    """ISO 8601 timestamps (Open311's *_datetime format) for hours since the epoch."""
    return [None if not np.isfinite(h) else (EPOCH + timedelta(hours=float(h))).isoformat(
        timespec="seconds") for h in hours]


def reported_rows(m: RunRecord) -> np.ndarray:
    """Indices of problems that were reported within the run."""
    return np.flatnonzero(np.isfinite(m.cases.reported))


def case_table(m: RunRecord) -> pa.Table:
    """The per-case table."""
    c, a, w = m.cases, m.arrivals, m.world
    idx = reported_rows(m)
    grid = a.grid[idx]
    closed = np.isfinite(c.closed[idx])
    last = np.where(closed, c.closed[idx], m.horizon)
    types = np.asarray(m.type_keys, dtype=object)[a.type[idx]]
    names = np.asarray([t.name_zh for t in m.types], dtype=object)[a.type[idx]]
    cols: dict[str, object] = {
        "service_request_id": np.array([f"C{i + 1:08d}" for i in idx.tolist()], dtype=object),
        "service_code": types,
        "service_name": names,
        "status": np.where(closed, "closed", "open"),
        "requested_datetime": iso(c.reported[idx]),
        "updated_datetime": iso(last),
        "agency_responsible": np.asarray(c.handler, dtype=object)[idx],
        "address_id": w.grid_code[grid],
        "source": np.asarray(SOURCES, dtype=object)[c.entry_source[idx]],
        "urgency": np.asarray(URGENCIES, dtype=object)[a.urgency[idx]],
        "difficulty": np.asarray(DIFFICULTIES, dtype=object)[a.difficulty[idx]],
        "grid_code": w.grid_code[grid],
        "township_code": w.township_code[m.grid_township[grid]],
        "county_code": w.county_code[m.grid_county[grid]],
        "household_id": np.where(a.household[idx] >= 0, a.household[idx] + 1, 0),
        "tier_path": np.asarray(c.path, dtype=object)[idx],
        "resolved_tier": np.asarray(("", *TIERS), dtype=object)[c.resolved_tier[idx] + 1],
        "self_resolved": c.self_resolved[idx],
        "escalations": c.escalations[idx],
        "reworks": c.reworks[idx],
        "overdue": c.overdue[idx],
        "supervision_level": c.supervision[idx],
        "reached_worker": c.reached_worker[idx],
    }
    for name in TIMES:
        cols[f"{name}_h"] = getattr(c, name)[idx]
    return pa.table({k: pa.array(v) if not isinstance(v, pa.Array) else v
                     for k, v in cols.items()})
