"""One row per reported case (Open311-like fields plus every step's time) as a Parquet table."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import numpy as np
import pyarrow as pa

from sim.model.arrivals.poisson import DIFFICULTIES, SOURCES, URGENCIES
from sim.model.case import LATE, TIMES
from sim.model.clock import EPOCH_DATE
from sim.model.record import RunRecord

# Day 0 of every run (sim.model.clock.EPOCH_DATE, a Monday) at midnight, China Standard Time
EPOCH = datetime.combine(EPOCH_DATE, time(), tzinfo=timezone(timedelta(hours=8)))
TIERS = ("grid", "township", "county", "city")


_EPOCH_LOCAL = np.datetime64(EPOCH.replace(tzinfo=None), "s")


def iso(hours: np.ndarray) -> pa.Array:
    """ISO 8601 timestamps with the +08:00 offset (Open311's *_datetime format) for hours
    since the epoch; null where the hour is not a number. Vectorised: runs have millions."""
    hours = np.asarray(hours, dtype=float)
    ok = np.isfinite(hours)
    # truncated to the second, as datetime.isoformat(timespec="seconds") does
    secs = np.where(ok, np.floor(hours * 3600.0 + 1e-6), 0).astype("timedelta64[s]")
    text = np.char.add(np.datetime_as_string(_EPOCH_LOCAL + secs, unit="s"), "+08:00")
    return pa.array(text.astype(object), pa.string(), mask=~ok)


def reported_rows(m: RunRecord) -> np.ndarray:
    """Indices of problems that were reported within the run (warm-up included)."""
    return np.flatnonzero(np.isfinite(m.cases.reported))


def window_rows(m: RunRecord) -> np.ndarray:
    """Indices of cases reported in the measured window (after the warm-up): the cases every
    KPI is over."""
    return np.flatnonzero(m.cases.reported >= m.window_start)


def case_table(m: RunRecord) -> pa.Table:
    """The per-case table: every case reported in the run; ``in_window`` marks those the KPIs
    count (reported after the warm-up); ``late_<step>`` whether any instance of a step (each
    centre's dispatch, each verification, the worker's and the handler's handling) missed its
    deadline, or was undone past it at the end."""
    c, a, w = m.cases, m.arrivals, m.world
    idx = reported_rows(m)
    grid = a.grid[idx]
    closed = np.isfinite(c.closed[idx])
    last = np.where(closed, c.closed[idx], m.horizon)
    types = np.asarray(m.type_keys, dtype=object)[a.type[idx]]
    names = np.asarray([t.name_zh for t in m.types], dtype=object)[a.type[idx]]
    cols: dict[str, object] = {
        "service_request_id": pa.array(np.char.add("C", np.char.zfill((idx + 1).astype(str), 8))
                                       .astype(object) if idx.size else [], pa.string()),
        "service_code": types,
        "service_name": names,
        "status": np.where(closed, "closed", "open"),
        "in_window": c.reported[idx] >= m.window_start,
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
        **{f"late_{step}": getattr(c, f"late_{step}")[idx] for step in LATE},
        "supervision_level": c.supervision[idx],
        "reached_worker": c.reached_worker[idx],
    }
    for name in TIMES:
        cols[f"{name}_h"] = getattr(c, name)[idx]
    return pa.table({k: pa.array(v) if not isinstance(v, pa.Array) else v
                     for k, v in cols.items()})
