"""Synthetic payloads (schema.py lists their keys), built a column at a time per operation type.

Faker is slow, so it only fills :class:`~sim.world.names.NamePool`'s pools once; everything per
row is drawn with numpy from pre-encoded vocabularies and concatenated with Arrow
(:mod:`sim.trace.jsontext`). Each operation type has one builder taking the rows (indices into
:class:`Ops`) it is to encode.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sim.model.arrivals.poisson import DIFFICULTIES, SOURCES, URGENCIES
from sim.model.engine import Model
from sim.trace import texts
from sim.trace.jsontext import (
    Pick,
    Piece,
    bools,
    ids,
    inner,
    ints,
    iso,
    join,
    obj,
    or_null,
    strings,
    vocab,
)
from sim.trace.schema import OP_CODE, OPS
from sim.world.names import NamePool
from sim.world.tables import SPECIAL_KINDS
from sim.world.units import name_units

BLOCK = 1 << 20  # rows per payload chunk: bounds memory and keeps each under 2 GB of text
SATISFIED = 0.9  # assumed share of requesters satisfied with the feedback
RESULT = {kind: i for i, kind in enumerate(texts.RESULTS)}  # group of each kind of result
LEVELS = ("yellow", "red", "coordination")  # supervision levels the model records


@dataclass
class Ops:
    """The operations to export as columns, in the order performed (queries appended)."""

    t: np.ndarray  # hours since the start
    op: np.ndarray  # code into OPS
    role: pa.DictionaryArray  # actor roles
    actor: pa.Array  # actor ids
    unit: pa.Array  # actor unit codes
    case: np.ndarray  # case index, -1 for none
    grid: np.ndarray  # grid index
    fields: list[dict[str, Any]]  # what the model recorded ({} for resident queries)


class Choices:
    """Texts in groups (e.g. descriptions per case type): one drawn per row from its group."""

    def __init__(self, groups: Sequence[Sequence[str]]) -> None:
        self.text = vocab([o for g in groups for o in g])
        self.count = np.array([len(g) for g in groups], np.int64)
        self.offset = np.cumsum(self.count) - self.count

    def draw(self, rng: np.random.Generator, group: np.ndarray | int, n: int) -> Pick:
        """``n`` texts, row ``j`` from group ``group[j]`` (or one group for all)."""
        group = np.broadcast_to(group, n)
        return Pick(self.text,
                    self.offset[group] + (rng.random(n) * self.count[group]).astype(np.int64))


class Payloads:
    """The payload column of one run's trace."""

    def __init__(self, m: Model, ops: Ops, rng: np.random.Generator) -> None:
        self.m, self.ops, self.rng = m, ops, rng
        w = m.world
        pool = NamePool.make(w.seed)
        # the same pool and draws as `gridsim world --export`: community names match units
        self.community = name_units(w, pool).community
        self.community_inner = pa.array([inner(c) for c in self.community.tolist()])
        self.street_inner = pa.array([inner(s) for s in pool.streets.tolist()])
        self._contacts(pool)
        types = m.types
        cats = m.scenario.workload.categories
        self.type_key = vocab(m.type_keys)
        self.type_name = vocab([t.name_zh for t in types])
        self.type_category = vocab([cats[t.category].name_zh for t in types])
        self.type_sub = vocab([t.subcategory for t in types])
        self.descriptions = Choices([
            [tpl.format(place=p, name=t.name_zh) + tail
             for tpl in texts.DESCRIPTIONS.get(key, texts.GENERIC)
             for p in (texts.PLACES_URBAN if urban else texts.PLACES_RURAL)
             for tail in texts.TAILS]
            for key, t in zip(m.type_keys, types, strict=True) for urban in (False, True)])
        self.results = Choices(list(texts.RESULTS.values()))
        self.explanations = Choices([texts.EXPLANATIONS])
        self.supervision = Choices([texts.SUPERVISION[lv] for lv in LEVELS])
        self.checkin_notes = Choices([texts.CHECKIN_NOTES])
        self.visit_notes = Choices([texts.VISIT_NOTES[k] for k in SPECIAL_KINDS])
        self._visit_pairs()
        self.role_code = ops.role.indices.to_numpy()
        role_names = ops.role.dictionary.to_pylist()
        self.worker_code = role_names.index("grid_worker") if "grid_worker" in role_names else -1
        self.role_tier = vocab([_role_tier(r) for r in role_names])
        self.grid_code = vocab(w.grid_code.tolist())
        self.visit_no = np.zeros(ops.op.size, np.int64)
        self.builders: dict[str, Callable[[np.ndarray], pa.Array]] = {
            "case.report": self._report, "case.accept": self._accept,
            "case.dispatch": self._dispatch, "case.escalate": self._escalate,
            "case.assign_down": self._assign_down, "case.handle": self._handle,
            "case.feedback": self._feedback, "case.explain_overdue": self._explain,
            "case.supervise": self._supervise, "case.verify": self._verify,
            "case.close": self._tier_only, "patrol.start": self._patrol,
            "patrol.checkin": self._checkin, "patrol.end": self._patrol,
            "visit.record": self._visit, "resident.query": self._query,
        }

    # --- set-up -------------------------------------------------------------------------
    def _contacts(self, pool: NamePool) -> None:
        """A reporter (name, phone) and address per household that reports (one per case
        where the grid has no households): drawn once so a household stays the same person."""
        m, a, w = self.m, self.m.arrivals, self.m.world
        cases = np.flatnonzero(np.isfinite(m.cases.reported))
        hh = a.household[cases]
        key = np.where(hh >= 0, hh, w.n_households + cases)
        _, first, which = np.unique(key, return_index=True, return_inverse=True)
        comm = w.grid_community[a.grid[cases[first]]]
        names: list[str] = []
        phones: list[str] = []
        addresses: list[str] = []
        if first.size:  # numpy's string functions fail on empty arrays
            names, phones = pool.names(first.size).tolist(), pool.phones(first.size).tolist()
            addresses = pool.addresses(self.community[comm], w.community_urban[comm]).tolist()
        self.address = join(strings(addresses))
        self.reporter = obj({"name": strings(names), "phone": strings(phones)})
        self.contact = np.full(m.cases.n, -1, np.int64)
        self.contact[cases] = which

    def _visit_pairs(self) -> None:
        """Every (household, kind) pair owed visits, sorted by grid, with cumulative weights
        (the kind's visits per month), so that a grid's visit falls on its special households
        in proportion to how often each is due."""
        w, rates = self.m.world, self.m.rules.patrol.visits_per_month
        hh_parts, kind_parts = [], []
        for k, kind in enumerate(SPECIAL_KINDS):
            if rates.get(kind, 0.0) > 0:
                hh = np.flatnonzero(w.hh_flags & np.uint8(1 << k))
                hh_parts.append(hh)
                kind_parts.append(np.full(hh.size, k, np.int64))
        hh = np.concatenate([np.zeros(0, np.int64), *hh_parts])
        kind = np.concatenate([np.zeros(0, np.int64), *kind_parts])
        weight = np.array([rates.get(k, 0.0) for k in SPECIAL_KINDS])[kind]
        by_grid = np.argsort(w.hh_grid[hh], kind="stable")
        self.pair_hh, self.pair_kind = hh[by_grid], kind[by_grid]
        self.pair_grid = w.hh_grid[self.pair_hh]
        self.pair_cum = np.concatenate([[0.0], np.cumsum(weight[by_grid])])

    # --- the column ---------------------------------------------------------------------
    def column(self, order: np.ndarray) -> pa.ChunkedArray:
        """Payloads of the rows ``order`` (indices into the ops), in that order."""
        # visits are numbered in trace order, whichever chunk they land in
        self.visit_no[order] = np.cumsum(self.ops.op[order] == OP_CODE["visit.record"])
        chunks = []
        for start in range(0, order.size, BLOCK):
            rows = order[start:start + BLOCK]
            by_op = np.argsort(self.ops.op[rows], kind="stable")
            codes = self.ops.op[rows[by_op]]
            bounds = np.flatnonzero(np.diff(codes)) + 1
            pieces = [self.builders[OPS[int(codes[s[0]])]](rows[by_op[s]])
                      for s in np.split(np.arange(rows.size), bounds)]
            back = np.empty(rows.size, np.int64)
            back[by_op] = np.arange(rows.size)
            chunks.append(pa.concat_arrays(pieces).take(back))
        return pa.chunked_array(chunks, pa.string())

    # --- helpers ------------------------------------------------------------------------
    def _common(self, rows: np.ndarray) -> dict[str, Any]:
        return {"at": iso(self.ops.t[rows])}

    def _fields(self, rows: np.ndarray, **types: pa.DataType) -> pa.StructArray:
        """What the model recorded under the keys of ``types`` (null where absent), converted
        by Arrow in C rather than read key by key in Python."""
        return pa.array(list(map(self.ops.fields.__getitem__, rows.tolist())), pa.struct(types))

    def _tier(self, rows: np.ndarray) -> Pick:
        """The acting tier, read off the actor's role (centres act as ``<tier>_staff``)."""
        return Pick(self.role_tier, self.role_code[rows])

    def _case_ids(self, rows: np.ndarray) -> Piece:
        return ids("C", self.ops.case[rows] + 1, 8)

    def _deadline(self, rows: np.ndarray) -> Piece:
        """The deadline the model gave with the operation (null where it gave none)."""
        f = self._fields(rows, deadline=pa.float64())
        return iso(f.field("deadline").to_numpy(zero_copy_only=False))

    # --- builders -------------------------------------------------------------------------
    def _report(self, rows: np.ndarray) -> pa.Array:
        a, w = self.m.arrivals, self.m.world
        i = self.ops.case[rows]
        k, g, hh, contact = a.type[i], a.grid[i], a.household[i], self.contact[i]
        urban = w.community_urban[w.grid_community[g]]
        return obj({
            **self._common(rows), "external_id": self._case_ids(rows),
            "service_code": Pick(self.type_key, k), "service_name": Pick(self.type_name, k),
            "category": Pick(self.type_category, k), "subcategory": Pick(self.type_sub, k),
            "description": self.descriptions.draw(self.rng, 2 * k + urban, rows.size),
            "address": Pick(self.address, contact), "reporter": Pick(self.reporter, contact),
            "lat": "null", "long": "null", "household": or_null(ids("H", hh + 1), hh >= 0),
            "urgency": Pick(vocab(URGENCIES), a.urgency[i]),
            "difficulty": Pick(vocab(DIFFICULTIES), a.difficulty[i]),
            "source": Pick(vocab(SOURCES), self.m.cases.entry_source[i]),
        })

    def _tier_only(self, rows: np.ndarray) -> pa.Array:
        # accept, close, feedback's tier: the grid's when a grid worker acts
        return obj({**self._common(rows), "tier": self._tier(rows)})

    def _accept(self, rows: np.ndarray) -> pa.Array:
        # a grid worker accepts with the deadline of his own first handling
        return obj({**self._common(rows), "deadline": self._deadline(rows),
                    "tier": self._tier(rows)})

    def _dispatch(self, rows: np.ndarray) -> pa.Array:
        f = self._fields(rows, to=pa.string(), to_unit=pa.string())
        return obj({**self._common(rows), "deadline": self._deadline(rows),
                    "tier": self._tier(rows), "to": strings(f.field("to")),
                    "to_unit": strings(f.field("to_unit"))})

    def _escalate(self, rows: np.ndarray) -> pa.Array:
        return obj({**self._common(rows), "deadline": self._deadline(rows),
                    "tier": self._tier(rows)})

    def _assign_down(self, rows: np.ndarray) -> pa.Array:
        return obj({**self._common(rows), "deadline": self._deadline(rows),
                    "tier": self._tier(rows), "to_unit": Pick(self.grid_code, self.ops.grid[rows])})

    def _handle(self, rows: np.ndarray) -> pa.Array:
        f = self._fields(rows, resolved=pa.bool_(), rework=pa.bool_())
        resolved, rework = _flags(f.field("resolved")), _flags(f.field("rework"))
        on_spot = resolved & (self.role_code[rows] == self.worker_code)
        kind = np.select([rework, on_spot, ~resolved],
                         [RESULT["rework"], RESULT["on_spot"], RESULT["unresolved"]],
                         RESULT["handled"])
        return obj({**self._common(rows), "resolved": bools(resolved), "on_spot": bools(on_spot),
                    "rework": bools(rework),
                    "result": self.results.draw(self.rng, kind, rows.size)})

    def _feedback(self, rows: np.ndarray) -> pa.Array:
        n = rows.size
        return obj({**self._common(rows), "tier": self._tier(rows),
                    "result": self.results.draw(self.rng, RESULT["feedback"], n),
                    "satisfied": bools(self.rng.random(n) < SATISFIED)})

    def _explain(self, rows: np.ndarray) -> pa.Array:
        return obj({**self._common(rows), "deadline": self._deadline(rows),
                    "text": self.explanations.draw(self.rng, 0, rows.size)})

    def _supervise(self, rows: np.ndarray) -> pa.Array:
        # the tier is recorded for coordination only; yellow/red cards carry none
        f = self._fields(rows, level=pa.string(), tier=pa.string())
        group = np.array([LEVELS.index(lv) for lv in f.field("level").to_pylist()], np.int64)
        return obj({**self._common(rows), "deadline": self._deadline(rows),
                    "level": strings(f.field("level")), "tier": strings(f.field("tier")),
                    "note": self.supervision.draw(self.rng, group, rows.size)})

    def _verify(self, rows: np.ndarray) -> pa.Array:
        ok = _flags(self._fields(rows, passed=pa.bool_()).field("passed"))
        kind = np.where(ok, RESULT["verified"], RESULT["failed"])
        return obj({**self._common(rows), "passed": bools(ok),
                    "result": self.results.draw(self.rng, kind, rows.size)})

    def _patrol(self, rows: np.ndarray) -> pa.Array:
        return obj({**self._common(rows), "patrol": self._patrol_ids(rows)})

    def _patrol_ids(self, rows: np.ndarray) -> Piece:
        patrol = self._fields(rows, patrol=pa.int64()).field("patrol")
        return ids("P", patrol.to_numpy(), 8)

    def _checkin(self, rows: np.ndarray) -> pa.Array:
        w, rng, n = self.m.world, self.rng, rows.size
        comm = w.grid_community[self.ops.grid[rows]]
        street = Pick(self.street_inner, rng.integers(0, len(self.street_inner), n))
        # a street number in the community, or a villagers' group (组) in the village
        spot = pc.if_else(
            pa.array(w.community_urban[comm]),
            join(street, ints(rng.integers(1, 300, n)), "号附近"),
            join("第", ints(rng.integers(1, 12, n)), "组"))
        return obj({**self._common(rows), "patrol": self._patrol_ids(rows),
                    "location": ('"', Pick(self.community_inner, comm), spot, '"'),
                    "lat": "null", "lon": "null",
                    "note": self.checkin_notes.draw(rng, 0, n)})

    def _visit(self, rows: np.ndarray) -> pa.Array:
        g = self.ops.grid[rows]
        lo = np.searchsorted(self.pair_grid, g, "left")
        hi = np.searchsorted(self.pair_grid, g, "right")
        # the model only records visits its plan made due, i.e. to grids with special households
        assert (hi > lo).all(), "a visit in a grid without special households"
        cum = self.pair_cum
        target = cum[lo] + self.rng.random(rows.size) * (cum[hi] - cum[lo])
        pair = np.clip(np.searchsorted(cum, target, "right") - 1, lo, hi - 1)
        kind = self.pair_kind[pair]
        return obj({**self._common(rows), "external_id": ids("V", self.visit_no[rows], 8),
                    "household": ids("H", self.pair_hh[pair] + 1),
                    "kind": Pick(vocab(SPECIAL_KINDS), kind),
                    "notes": self.visit_notes.draw(self.rng, kind, rows.size)})

    def _query(self, rows: np.ndarray) -> pa.Array:
        return obj({**self._common(rows), "external_id": self._case_ids(rows)})


def _flags(recorded: pa.BooleanArray) -> np.ndarray:
    """A recorded flag as booleans, false where the model did not record it."""
    return pc.fill_null(recorded, False).to_numpy(zero_copy_only=False)


def _role_tier(role: str) -> str | None:
    """``grid_worker`` acts for the grid, ``<tier>_staff`` for its tier's centre."""
    if role == "grid_worker":
        return "grid"
    return role.removesuffix("_staff") if role.endswith("_staff") else None
