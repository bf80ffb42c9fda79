"""Payloads look real and are synthetic: Chinese names, mainland mobiles, addresses inside the
grid's community (as `gridsim world --export` names it), descriptions per case type, and the
fields the schema promises for each operation."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from sim.metrics.records import iso
from sim.trace.texts import DESCRIPTIONS
from sim.world.export import export_world
from sim.world.tables import SPECIAL_KINDS
from tests.trace.conftest import Traced

KEYS = {
    "case.report": {"address", "category", "description", "difficulty", "external_id",
                    "household", "lat", "long", "reporter", "service_code", "service_name",
                    "source", "subcategory", "urgency"},
    "case.accept": {"deadline", "tier"},
    "case.dispatch": {"deadline", "tier", "to", "to_unit"},
    "case.escalate": {"deadline", "tier"},
    "case.assign_down": {"deadline", "tier", "to_unit"},
    "case.handle": {"on_spot", "resolved", "result", "rework"},
    "case.feedback": {"result", "satisfied", "tier"},
    "case.explain_overdue": {"deadline", "text"},
    "case.supervise": {"deadline", "level", "note", "tier"},
    "case.verify": {"passed", "result"},
    "case.close": {"tier"},
    "patrol.start": {"patrol"},
    "patrol.checkin": {"lat", "location", "lon", "note", "patrol"},
    "patrol.end": {"patrol"},
    "visit.record": {"external_id", "household", "kind", "notes"},
    "resident.query": {"external_id"},
}
NAME = re.compile(r"^[\u4e00-\u9fff]{2,4}$")
PHONE = re.compile(r"^1[3-9]\d{9}$")
CJK = re.compile(r"[\u4e00-\u9fff]{4,}")


@pytest.fixture(scope="module")
def community_names(traced: Traced, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Community/village names by code, from the world's own export (units.parquet)."""
    out = tmp_path_factory.mktemp("world")
    export_world(traced.result.model.world, out)
    units = pq.read_table(Path(out) / "units.parquet").to_pylist()
    return {u["code"]: u["name"] for u in units if u["tier"] == "community"}


def test_every_operation_has_its_keys(traced: Traced) -> None:
    for r in traced.rows:
        assert set(r["payload"]) == KEYS[r["op"]] | {"at"}, r["op"]


def test_reports_look_real_and_match_the_case_table(traced: Traced,
                                                    community_names: dict[str, str]) -> None:
    cases = traced.cases
    reports = traced.of("case.report")
    assert len(reports) > 50
    for r in reports:
        p, case = r["payload"], cases[r["case"]]
        assert p["external_id"] == r["case"]
        for key in ("service_code", "service_name", "urgency", "source", "difficulty"):
            assert p[key] == case[key], key
        assert NAME.match(p["reporter"]["name"]) and PHONE.match(p["reporter"]["phone"])
        assert p["address"].startswith(community_names[r["grid"][:12]])
        assert CJK.search(p["description"])
        assert p["household"] == (f"H{case['household_id']}" if case["household_id"] else None)
        assert p["lat"] is None and p["long"] is None
    # descriptions come from the case type's own templates, with variety
    stems = {k: [t.split("{place}")[-1] for t in v] for k, v in DESCRIPTIONS.items()}
    for r in reports:
        assert any(s in r["payload"]["description"] for s in stems[r["payload"]["service_code"]])
    assert len({r["payload"]["description"] for r in reports}) > 0.6 * len(reports)


def test_a_household_is_one_person_throughout(traced: Traced) -> None:
    contacts = defaultdict(set)
    for r in traced.of("case.report"):
        p = r["payload"]
        if p["household"]:
            contacts[p["household"]].add((p["reporter"]["name"], p["reporter"]["phone"],
                                          p["address"]))
    assert contacts and all(len(v) == 1 for v in contacts.values())


def test_deadlines_are_each_assignments_own(traced: Traced) -> None:
    """Each assignment carries the deadline its assigner set, as the case table has it."""
    cases = traced.cases

    def iso_of(hours: float) -> str | None:
        return iso([hours])[0].as_py()

    dispatches = traced.of("case.dispatch")
    assert dispatches
    for r in dispatches:  # the handler's deadline (one dispatch per case)
        assert r["payload"]["deadline"] == iso_of(cases[r["case"]]["handle_due_h"])
    on_spot = [r for r in traced.of("case.accept") if r["actor_role"] == "grid_worker"
               and cases[r["case"]]["self_resolved"]]
    assert on_spot
    for r in on_spot:  # the worker's own handling deadline
        assert r["payload"]["deadline"] == iso_of(cases[r["case"]]["handle_due_h"])
    assert all(r["payload"]["deadline"] is None for r in traced.of("case.accept")
               if r["actor_role"] != "grid_worker")
    for op in ("case.escalate", "case.assign_down"):
        assert all(r["payload"]["deadline"] > r["payload"]["at"] for r in traced.of(op))
    cards = [r for r in traced.of("case.supervise") if r["payload"]["level"] != "coordination"]
    for r in cards + traced.of("case.explain_overdue"):  # from the deadline on
        assert r["payload"]["deadline"] <= r["payload"]["at"]


def test_patrols_and_visits_carry_ids_places_and_kinds(traced: Traced,
                                                       community_names: dict[str, str]) -> None:
    for r in traced.rows:
        p = r["payload"]
        if r["op"].startswith("patrol."):
            assert re.match(r"^P\d{8}$", p["patrol"])
        if r["op"] == "patrol.checkin":
            assert p["location"].startswith(community_names[r["grid"][:12]])
            assert len(p["location"]) > len(community_names[r["grid"][:12]]) + 1
        if r["op"] == "visit.record":
            assert p["kind"] in SPECIAL_KINDS and re.match(r"^H\d+$", p["household"])
            assert p["notes"]


def test_results_and_texts_are_chinese(traced: Traced) -> None:
    texts = {"case.handle": "result", "case.verify": "result", "case.feedback": "result",
             "case.explain_overdue": "text", "case.supervise": "note"}
    for op, key in texts.items():
        for r in traced.of(op):
            assert re.search(r"[\u4e00-\u9fff]", r["payload"][key]), (op, r["payload"])
