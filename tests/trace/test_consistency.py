"""The trace agrees with the case table and the world: what it says happened, happened."""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

from sim.trace.queries import ASKING_SOURCES
from sim.world.tables import SPECIAL_KINDS
from tests.trace.conftest import Traced


def _count(rows: list[dict], **payload: object) -> int:
    return sum(all(r["payload"].get(k) == v for k, v in payload.items()) for r in rows)


def test_every_case_operation_follows_the_case_report(traced: Traced) -> None:
    cases = traced.cases
    reported: set[str] = set()
    for r in traced.rows:
        if r["case"] is None:
            continue
        assert r["case"] in cases
        if r["op"] == "case.report":
            assert r["case"] not in reported
            reported.add(r["case"])
        else:
            assert r["case"] in reported, r


def test_counts_agree_with_the_case_table(traced: Traced) -> None:
    c = {k: np.asarray(v) for k, v in traced.result.cases.to_pydict().items()}
    done = lambda col: int(np.isfinite(c[col].astype(float)).sum())  # noqa: E731
    helped = ~c["self_resolved"]  # self-resolved cases close at once: no feedback or verify
    ops = Counter(r["op"] for r in traced.rows)
    assert ops["case.report"] == len(c["service_request_id"])
    assert ops["case.accept"] == done("accepted_h")
    assert ops["case.dispatch"] == done("dispatched_h")
    assert ops["case.close"] == done("closed_h")
    assert ops["case.explain_overdue"] == done("explained_h")
    assert ops["case.feedback"] == int((np.isfinite(c["feedback_h"]) & helped).sum())
    closed_after_help = int((np.isfinite(c["closed_h"]) & helped).sum())
    verify = traced.of("case.verify")
    assert len(verify) == int(c["reworks"].sum()) + closed_after_help
    assert _count(verify, passed=False) == int(c["reworks"].sum())
    handle = traced.of("case.handle")
    by_worker = [r for r in handle if r["actor_role"] == "grid_worker"]
    assert len(by_worker) == done("first_done_h")
    assert _count(by_worker, on_spot=True) == int(c["self_resolved"].sum())
    assert _count(handle, rework=False) - len(by_worker) == done("handle_start_h")
    supervise = traced.of("case.supervise")
    assert _count(supervise, level="yellow") == int((c["supervision_level"] >= 1).sum())
    assert _count(supervise, level="red") == int((c["supervision_level"] == 2).sum())


def test_rule_sets_show_in_the_trace(traced: Traced) -> None:
    """Liaocheng explains every miss in writing (002 第十九条) at the deadline (a grid worker
    who takes the case up only after it, then); Qingdao sends multi-department matters to
    coordination (001 五.3)."""
    rules = traced.result.model.rules
    explained = traced.of("case.explain_overdue")
    assert bool(explained) == rules.deadlines.overdue_written_explanation
    assert all(r["payload"]["deadline"] == r["payload"]["at"] for r in explained
               if r["actor_role"] != "grid_worker")
    assert all(r["payload"]["deadline"] <= r["payload"]["at"] for r in explained)
    coordination = _count(traced.of("case.supervise"), level="coordination")
    assert (coordination > 0) == rules.routing.multi_department_to_coordination


def test_residents_ask_once_while_their_case_is_open(traced: Traced) -> None:
    cases = traced.cases
    report_t = {r["case"]: r["t"] for r in traced.of("case.report")}
    close_t = {r["case"]: r["t"] for r in traced.of("case.close")}
    reporter = {r["case"]: (r["actor_role"], r["actor_id"], r["actor_unit"])
                for r in traced.of("case.report")}
    queries = traced.of("resident.query")
    asked = [r["case"] for r in queries]
    assert len(asked) == len(set(asked))
    eligible = [k for k, v in cases.items() if v["source"] in ASKING_SOURCES]
    assert set(asked) <= set(eligible)
    assert 0.1 < len(asked) / len(eligible) < 0.5  # QUERY_SHARE = 0.3 of ≈100 cases
    horizon = traced.result.model.horizon * 3600
    for r in queries:
        assert report_t[r["case"]] <= r["t"] <= close_t.get(r["case"], horizon)
        # asked by whoever reported it: the resident, or the hotline's centre for a caller
        report = reporter[r["case"]]
        assert (r["actor_role"], r["actor_id"], r["actor_unit"]) == report
        source = cases[r["case"]]["source"]
        assert (r["actor_role"] == "resident") == (source == "resident"), source
        assert r["payload"]["external_id"] == r["case"]


def test_patrols_start_check_in_and_end_in_one_grid(traced: Traced) -> None:
    patrols: dict[str, list[dict]] = defaultdict(list)
    for r in traced.rows:
        if r["op"].startswith("patrol."):
            patrols[r["payload"]["patrol"]].append(r)
    assert len(patrols) == len(traced.of("patrol.start"))
    for ops in patrols.values():
        names = [r["op"] for r in ops]
        assert names in (["patrol.start"], ["patrol.start", "patrol.checkin", "patrol.end"])
        assert len({(r["grid"], r["actor_id"]) for r in ops}) == 1


def test_dispatch_names_the_unit_that_then_handles(traced: Traced) -> None:
    handled_by: dict[str, str] = {}
    for r in traced.of("case.handle"):
        if r["actor_role"] != "grid_worker":
            handled_by.setdefault(r["case"], r["actor_unit"])
    dispatches = traced.of("case.dispatch")
    assert dispatches
    for r in dispatches:
        assert r["case"] not in handled_by or handled_by[r["case"]] == r["payload"]["to_unit"]
    for r in traced.of("case.assign_down"):
        assert r["payload"]["to_unit"] == r["grid"]


def test_visits_go_to_special_households_of_their_grid(traced: Traced) -> None:
    w = traced.result.model.world
    grid_of = {code: i for i, code in enumerate(w.grid_code.tolist())}
    visits = traced.of("visit.record")
    assert visits
    for r in visits:
        hh = int(r["payload"]["household"][1:]) - 1
        kind = SPECIAL_KINDS.index(r["payload"]["kind"])
        assert w.hh_grid[hh] == grid_of[r["grid"]]
        assert w.hh_flags[hh] & (1 << kind)
    ids = [r["payload"]["external_id"] for r in visits]
    assert ids == [f"V{i:08d}" for i in range(1, len(ids) + 1)]
