"""The trace: one row per platform operation of a run, the boundary between the simulation
and the load test (design.md, "The trace"). Written by ``gridsim trace`` as Parquet or JSONL.

Parquet (:data:`TRACE_SCHEMA`)
------------------------------
- ``seq`` int64: 0 … n-1, the row's position (replay order).
- ``t`` float64: seconds since the run's start.
- ``op`` dictionary<int32, string>: the operation, one of :data:`OPS`.
- ``actor_role`` string: ``grid_worker``, ``township_staff``, ``county_staff``,
  ``city_staff``, ``department_handler`` or ``resident``.
- ``actor_id`` string: a worker ``W0000001`` (the ids of ``gridsim world --export``; a unit
  without staff acts under a placeholder such as ``township3``), or a resident
  ``H<household number>`` (``H0`` for residents of grids without households of their own).
- ``actor_unit`` string: the actor's unit code: a grid (19 digits), township (9), county (6),
  city (4) or department (``<parent unit code>-<department key>``).
- ``case`` string, nullable: the case id ``C00000001`` (cases.parquet's
  ``service_request_id``); null for patrols and visits.
- ``grid`` string: the 19-digit code of the grid concerned.
- ``payload`` string: a JSON object, UTF-8, keys sorted (below).

Rows are sorted by ``t``, ties in the order the model performed them; a case's report comes
before any other operation on it.

JSONL
-----
One object per line, UTF-8, in the same order, with the same values::

    {"seq":0,"t":28800,"op":"patrol.start","actor":{"role":"grid_worker","id":"W0000001",
     "unit":"3299010010011000001"},"case":null,"grid":"3299010010011000001",
     "payload":{"at":"2024-01-01T08:00:00+08:00","patrol":"P00000001"}}

(one line in the file). ``t`` is written in the shortest form that reads back to the same
float64 (``28800``, ``14375.5``).

Payloads
--------
Every payload has ``at``, the operation's time as ISO 8601 in China Standard Time, day 0 being
2024-01-01 (a Monday), to the second. ``deadline`` is ISO too (null if unset). Text is
synthetic (Faker zh_CN names and mobile numbers, addresses inside the grid's community as
``gridsim world --export`` names it, Chinese descriptions per case type); a household keeps one
contact throughout a trace. Keys besides ``at``, per operation:

- ``case.report`` (Open311-like): ``external_id`` (= ``case``), ``service_code`` (the case
  type key), ``service_name``, ``category``, ``subcategory``, ``description``, ``address``,
  ``lat``/``long`` (null: the world has no geography), ``reporter`` {``name``, ``phone``},
  ``household`` (``H…`` or null), ``urgency`` (routine, urgent, emergency), ``difficulty``
  (normal, hard), ``source`` (patrol, resident, hotline, department).
- ``case.accept``: ``tier`` accepting (grid, township, county, city), ``deadline`` (a grid
  worker's own first handling; null for a centre).
- ``case.dispatch``: ``tier`` dispatching, ``to`` (``dept:<key>@<tier>``, or the tier itself
  when its centre handles the case), ``to_unit`` (that unit's code), ``deadline`` (handling).
- ``case.escalate``: ``tier`` escalated to, ``deadline`` (its routing there).
- ``case.assign_down``: ``tier`` assigning, ``to_unit`` (the grid), ``deadline`` (handling).
- ``case.handle``: ``resolved``, ``on_spot`` (the grid worker resolved it at first handling,
  首接初办), ``rework``, ``result`` (text). A grid worker's handle with ``resolved`` false is
  first handling that ends in escalation.
- ``case.feedback``: ``tier`` giving it, ``result``, ``satisfied``.
- ``case.explain_overdue``: ``text`` (the written explanation, 002 第十九条), ``deadline``
  missed.
- ``case.supervise``: ``level`` (yellow, red, or coordination for 001 五.3 matters),
  ``note``, ``deadline``, ``tier`` (for coordination; null for yellow and red). Yellow and
  red cards come from the overseeing centre (the one that dispatched the department, or the
  one above a centre handling the case itself; the top centre for its own work); a
  coordination referral from the centre holding the case.
- ``case.verify``: ``passed``, ``result``.
- ``case.close``: ``tier`` closing (grid when the worker resolved it on the spot).
- ``patrol.start``, ``patrol.end``: ``patrol`` (``P00000001``, one per patrol of one grid).
- ``patrol.checkin``: ``patrol``, ``location`` (a spot in the grid's community),
  ``lat``/``lon`` (null), ``note``.
- ``visit.record``: ``external_id`` (``V00000001``, in time order), ``household``, ``kind``
  (floating_renter, difficulty, key_person, elderly_alone, disabled), ``notes``.
- ``resident.query``: ``external_id`` (the case asked about). The actor is who reported the
  case: the resident, or for a hotline caller the hotline's centre, which answers the call.

``deadline`` on dispatch, escalate, assign_down and supervise is the case's handling deadline
as the case table holds it at the end of the run (set when the case was last assigned).
``resident.query`` rows are added at export, not by the model:
:data:`~sim.trace.queries.QUERY_SHARE` of the cases residents reported themselves or through
the hotline are asked about once, at a uniform time while open, drawn from a random stream of
their own.
"""

from __future__ import annotations

import pyarrow as pa

OPS: tuple[str, ...] = (
    "case.report", "case.accept", "case.dispatch", "case.escalate", "case.assign_down",
    "case.handle", "case.feedback", "case.explain_overdue", "case.supervise", "case.verify",
    "case.close", "patrol.start", "patrol.checkin", "patrol.end", "visit.record",
    "resident.query",
)
OP_CODE = {op: i for i, op in enumerate(OPS)}

TRACE_SCHEMA = pa.schema([
    ("seq", pa.int64()),
    ("t", pa.float64()),
    ("op", pa.dictionary(pa.int32(), pa.string())),
    ("actor_role", pa.string()),
    ("actor_id", pa.string()),
    ("actor_unit", pa.string()),
    ("case", pa.string()),
    ("grid", pa.string()),
    ("payload", pa.string()),
])
FORMATS = (".parquet", ".jsonl")
