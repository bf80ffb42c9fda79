"""End-to-end case lifecycles through the REST API, with the audit log checked step by step."""

from __future__ import annotations

from typing import Any

from loadtest.platform.schemas import CaseOut, EventOut, TransitionOut
from tests.platform.conftest import CITY, Platform, grid_code

G = grid_code(1, 1, 1)
TOWNSHIP = "3701001" + "00000"
COUNTY = "370100000000"
T0 = "2024-03-01T08:00:00+08:00"


def at(hour: int) -> str:
    """An event time ``hour`` hours after T0."""
    return f"2024-03-{1 + (8 + hour) // 24:02d}T{(8 + hour) % 24:02d}:00:00+08:00"


def step(p: Platform, user: str, case: int, op: str, body: dict[str, Any]) -> dict[str, Any]:
    """Perform a transition that must succeed; returns the response body."""
    r = p.post(user, f"/api/cases/{case}/{op}", body)
    assert r.status_code in (200, 201), (op, r.status_code, r.text)
    TransitionOut.model_validate(r.json())
    return r.json()


def test_full_lifecycle_through_township_and_department(platform: Platform) -> None:
    p = platform
    case = p.report(
        "W111",
        G,
        external_id="C1",
        at=T0,
        description="楼道堆物",
        location={"address": "一路1号", "lat": 36.4, "lon": 116.0},
        reporter={"name": "居民", "phone": "13800000000"},
    )
    CaseOut.model_validate(case)
    assert case["state"] == "reported" and case["holder"]["code"] == G
    cid = case["id"]

    step(p, "W111", cid, "accept", {"at": at(1)})
    out = step(p, "W111", cid, "escalate", {"at": at(2), "deadline": at(10)})
    assert out["case"]["holder"]["code"] == TOWNSHIP and out["case"]["state"] == "escalated"
    out = step(
        p, "T11", cid, "dispatch", {"at": at(3), "department": "CTY1-police", "deadline": at(20)}
    )
    assert out["case"]["holder"]["tier"] == "department"
    assert out["case"]["deadline"] == "2024-03-01T20:00:00Z"
    step(p, "D1", cid, "handle", {"at": at(5), "result": "已清理"})
    step(p, "D1", cid, "feedback", {"at": at(6), "result": "已告知", "satisfied": True})
    step(p, "W111", cid, "verify", {"at": at(7), "passed": True})
    out = step(p, "T11", cid, "close", {"at": at(8)})
    assert out["case"]["state"] == "closed"
    assert out["case"]["closed_at"] == "2024-03-01T08:00:00Z"

    audit = p.get("T11", f"/api/cases/{cid}/audit").json()
    for e in audit:
        EventOut.model_validate(e)
    assert [(e["op"], e["from_state"], e["to_state"]) for e in audit] == [
        ("report", None, "reported"),
        ("accept", "reported", "accepted"),
        ("escalate", "accepted", "escalated"),
        ("dispatch", "escalated", "dispatched"),
        ("handle", "dispatched", "handled"),
        ("feedback", "handled", "feedback_given"),
        ("verify_pass", "feedback_given", "verified"),
        ("close", "verified", "closed"),
    ]
    assert [e["seq"] for e in audit] == list(range(1, 9))
    assert [e["actor"]["user_id"] for e in audit] == [
        "W111",
        "W111",
        "W111",
        "T11",
        "D1",
        "D1",
        "W111",
        "T11",
    ]
    assert [(e["holder_before"], e["holder_after"]) for e in audit[2:4]] == [
        (G, TOWNSHIP),
        (TOWNSHIP, "CTY1-police"),
    ]
    assert audit[3]["detail"]["department"] == "CTY1-police"


def test_on_spot_resolution_closes_without_verification(platform: Platform) -> None:
    p = platform
    cid = p.report("W111", G)["id"]
    step(p, "W111", cid, "accept", {})
    out = step(p, "W111", cid, "handle", {"on_spot": True, "result": "当场劝导"})
    assert out["case"]["state"] == "resolved_on_spot"
    assert step(p, "W111", cid, "close", {})["case"]["state"] == "closed"


def test_township_cannot_resolve_on_spot(platform: Platform) -> None:
    p = platform
    cid = p.report("W111", G)["id"]
    step(p, "T11", cid, "accept", {})  # the centre accepts a report and takes the case
    r = p.post("T11", f"/api/cases/{cid}/handle", {"on_spot": True})
    assert r.status_code == 403 and r.json()["error"] == "forbidden"


def test_failed_verification_sends_back_for_rework(platform: Platform) -> None:
    p = platform
    cid = p.report("W111", G)["id"]
    step(p, "W111", cid, "accept", {})
    step(p, "W111", cid, "escalate", {"deadline": at(5)})
    step(p, "T11", cid, "handle", {})
    step(p, "T11", cid, "feedback", {})
    out = step(p, "K1", cid, "verify", {"passed": False, "note": "未整改到位"})
    assert out["case"]["state"] == "rework" and out["case"]["holder"]["code"] == TOWNSHIP
    step(p, "T11", cid, "handle", {})
    assert p.get("T11", f"/api/cases/{cid}").json()["state"] == "handled"


def test_return_unwinds_to_the_sender(platform: Platform) -> None:
    p = platform
    cid = p.report("W111", G)["id"]
    step(p, "W111", cid, "accept", {"deadline": at(3)})
    step(p, "W111", cid, "escalate", {"deadline": at(6)})
    step(p, "T11", cid, "escalate", {"deadline": at(9)})
    out = step(p, "K1", cid, "dispatch", {"department": "CTY1-police", "deadline": at(12)})
    assert out["case"]["deadline"] == "2024-03-01T12:00:00Z"
    out = step(p, "D1", cid, "return", {"reason": "不属于本部门职责"})
    assert out["case"]["holder"]["code"] == COUNTY and out["case"]["state"] == "returned"
    assert out["case"]["deadline"] == "2024-03-01T09:00:00Z"  # the county's own deadline again
    out = step(p, "K1", cid, "return", {})
    assert out["case"]["holder"]["code"] == TOWNSHIP
    out = step(p, "T11", cid, "return", {})
    assert out["case"]["holder"]["code"] == G and out["case"]["deadline"] == "2024-03-01T03:00:00Z"
    r = p.post("W111", f"/api/cases/{cid}/return", {})
    assert r.status_code == 409 and r.json()["error"] == "no_sender"


def test_assign_down_and_escalate_to_the_top(platform: Platform) -> None:
    p = platform
    cid = p.report("R111", G)["id"]
    step(p, "K1", cid, "accept", {})
    out = step(p, "K1", cid, "assign", {"to_unit": TOWNSHIP, "deadline": at(4)})
    assert out["case"]["holder"]["code"] == TOWNSHIP
    out = step(p, "T11", cid, "assign", {"to_unit": G, "deadline": at(3)})
    assert out["case"]["holder"]["code"] == G
    bad = p.post("T11", f"/api/cases/{cid}/assign", {"to_unit": G, "deadline": at(3)})
    assert bad.status_code == 403  # the township no longer holds it
    step(p, "W111", cid, "escalate", {"deadline": at(5)})
    step(p, "T11", cid, "escalate", {"deadline": at(6)})
    out = step(p, "K1", cid, "escalate", {"deadline": at(7)})
    assert out["case"]["holder"]["code"] == CITY
    r = p.post("C1", f"/api/cases/{cid}/escalate", {"deadline": at(8)})
    assert r.status_code == 409 and r.json()["error"] == "no_centre_above"
    wrong = p.post("C1", f"/api/cases/{cid}/assign", {"to_unit": "CTY1-police", "deadline": at(8)})
    assert wrong.status_code == 422  # departments are dispatched to, not assigned


def test_supervision_and_overdue_explanation(platform: Platform) -> None:
    p = platform
    cid = p.report("W111", G, at=T0)["id"]
    step(p, "W111", cid, "accept", {"at": at(0)})
    step(p, "W111", cid, "escalate", {"at": at(1), "deadline": at(4)})
    early = p.post("T11", f"/api/cases/{cid}/explanations", {"at": at(3), "text": "人手不足"})
    assert early.status_code == 409 and early.json()["error"] == "not_overdue"
    not_overseer = p.post("T11", f"/api/cases/{cid}/supervise", {"level": "yellow"})
    assert not_overseer.status_code == 403  # a holder does not supervise itself
    out = step(p, "K1", cid, "supervise", {"at": at(5), "level": "red"})
    assert out["case"]["supervision"] == "red" and out["case"]["state"] == "escalated"
    step(p, "C1", cid, "supervise", {"level": "yellow"})
    assert p.get("K1", f"/api/cases/{cid}").json()["supervision"] == "red"  # never lowered
    out = step(p, "T11", cid, "explanations", {"at": at(4), "text": "到期未办结"})
    assert out["event"]["op"] == "explain_overdue"  # due and not done at the deadline itself
    out = step(p, "T11", cid, "explanations", {"at": at(6), "text": "人手不足，已协调"})
    assert out["event"]["op"] == "explain_overdue"
    assert out["event"]["detail"]["text"] == "人手不足，已协调"
    assert out["case"]["overdue"] is True


def test_illegal_transition_is_409_naming_state_and_op(platform: Platform) -> None:
    p = platform
    cid = p.report("W111", G)["id"]
    r = p.post("W111", f"/api/cases/{cid}/close", {})
    assert r.status_code == 409
    body = r.json()
    assert body["error"] == "illegal_transition"
    assert body["state"] == "reported" and body["op"] == "close"
    assert "reported" in body["message"] and "close" in body["message"]
    assert body["allowed"] == ["accept", "supervise"]
    assert len(p.get("W111", f"/api/cases/{cid}/audit").json()) == 1  # nothing recorded


def test_malformed_bodies_are_422(platform: Platform) -> None:
    p = platform
    cid = p.report("W111", G)["id"]
    assert p.post("W111", "/api/cases", {"grid": G}).status_code == 422  # no type
    assert p.post("W111", "/api/cases", {"type": "x", "grid": "nope"}).status_code == 422
    assert p.post("W111", f"/api/cases/{cid}/accept", {"deadine": T0}).status_code == 422
    assert p.post("W111", f"/api/cases/{cid}/supervise", {"level": "blue"}).status_code == 422
    r = p.post("W111", f"/api/cases/{cid}/accept", {"at": "not a time"})
    assert r.status_code == 422 and "detail" in r.json()


def test_external_id_references_and_duplicates(platform: Platform) -> None:
    p = platform
    case = p.report("W111", G, external_id="SIM-7")
    assert p.get("W111", "/api/cases/ext:SIM-7").json()["id"] == case["id"]
    assert p.get("W111", "/api/cases/by-external/SIM-7").json()["id"] == case["id"]
    step(p, "W111", "ext:SIM-7", "accept", {})  # type: ignore[arg-type]
    dup = p.post("W111", "/api/cases", {"type": "x", "grid": G, "external_id": "SIM-7"})
    assert dup.status_code == 409 and dup.json()["id"] == case["id"]


def test_list_filters_and_pagination(platform: Platform) -> None:
    p = platform
    ids = [p.report("W111", G)["id"] for _ in range(5)]
    step(p, "W111", ids[0], "accept", {})
    page1 = p.get("T11", "/api/cases", limit=3).json()
    assert [c["id"] for c in page1["items"]] == ids[:3] and page1["next_after_id"] == ids[2]
    page2 = p.get("T11", "/api/cases", limit=3, after_id=page1["next_after_id"]).json()
    assert [c["id"] for c in page2["items"]] == ids[3:] and page2["next_after_id"] is None
    accepted = p.get("T11", "/api/cases", state="accepted").json()["items"]
    assert [c["id"] for c in accepted] == ids[:1]
    by_holder = p.get("T11", "/api/cases", holder=G, grid=G, type="city.litter").json()["items"]
    assert len(by_holder) == 5


def test_me_and_health(platform: Platform) -> None:
    p = platform
    me = p.get("W111", "/api/me").json()
    assert me["role"] == "grid_worker" and me["grids"] == [G]
    assert p.client.get("/health").json() == {"status": "ok", "db": "ok"}
    assert p.client.get("/api/me").status_code == 401
    bad = p.client.get("/api/me", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.json()["error"] == "unauthenticated"
    assert "/api/cases/{ref}/dispatch" in p.client.get("/openapi.json").json()["paths"]


def test_first_handling_then_the_centre_keeps_it_and_refers_it_to_coordination(
    platform: Platform,
) -> None:
    """The model's path through the township handling a case itself: the worker's first
    handling that does not resolve it, escalation, 自办 with a deadline of the centre's own,
    a referral to coordination (001 五.3), handling and verification without feedback."""
    p = platform
    cid = p.report("W111", G, at=T0)["id"]
    step(p, "W111", cid, "accept", {"at": at(0)})
    bad = p.post("W111", f"/api/cases/{cid}/handle", {"on_spot": True, "resolved": False})
    assert bad.status_code == 422  # resolved on the spot and not resolved: contradictory
    out = step(p, "W111", cid, "handle", {"at": at(1), "resolved": False, "result": "需上报"})
    assert out["case"]["state"] == "accepted" and out["case"]["holder"]["code"] == G
    assert out["event"]["op"] == "handle_unresolved"
    step(p, "W111", cid, "escalate", {"at": at(2), "deadline": at(10)})
    unresolved = p.post("T11", f"/api/cases/{cid}/handle", {"resolved": False})
    assert unresolved.status_code == 403  # first handling is the grid worker's
    grid_keeps = p.post("W111", f"/api/cases/{cid}/keep", {"deadline": at(30)})
    assert grid_keeps.status_code == 403  # the worker no longer holds it, and is no centre
    out = step(p, "T11", cid, "keep", {"at": at(3), "deadline": at(30)})
    assert out["case"]["state"] == "dispatched" and out["case"]["holder"]["code"] == TOWNSHIP
    assert out["case"]["deadline"] == "2024-03-02T06:00:00Z"
    out = step(p, "T11", cid, "coordination", {"at": at(4), "note": "涉及多个部门"})
    assert out["case"]["state"] == "dispatched" and out["event"]["op"] == "refer_coordination"
    assert p.post("W111", f"/api/cases/{cid}/coordination", {}).status_code == 403
    step(p, "T11", cid, "handle", {"at": at(20)})
    step(p, "W111", cid, "verify", {"at": at(21), "passed": True})  # no feedback asked for
    step(p, "T11", cid, "close", {"at": at(22)})
    audit = p.get("T11", f"/api/cases/{cid}/audit").json()
    assert [(e["op"], e["from_state"], e["to_state"]) for e in audit] == [
        ("report", None, "reported"),
        ("accept", "reported", "accepted"),
        ("handle_unresolved", "accepted", "accepted"),
        ("escalate", "accepted", "escalated"),
        ("keep", "escalated", "dispatched"),
        ("refer_coordination", "dispatched", "dispatched"),
        ("handle", "dispatched", "handled"),
        ("verify_pass", "handled", "verified"),
        ("close", "verified", "closed"),
    ]


def test_a_kept_case_returns_to_whoever_sent_it(platform: Platform) -> None:
    """自办 changes the deadline, not the assignment: a return still goes to the sender."""
    p = platform
    cid = p.report("W111", G, at=T0)["id"]
    step(p, "W111", cid, "accept", {"at": at(0)})
    step(p, "W111", cid, "escalate", {"at": at(1), "deadline": at(10)})
    step(p, "T11", cid, "keep", {"at": at(2), "deadline": at(30)})
    out = step(p, "T11", cid, "return", {"at": at(3), "reason": "不属本级"})
    assert out["case"]["holder"]["code"] == G and out["case"]["state"] == "returned"


def test_the_city_supervises_its_own_work(platform: Platform) -> None:
    """Nobody is above the city centre: it may supervise what it holds; a township may not
    supervise what it holds itself."""
    p = platform
    cid = p.report("W111", G, at=T0)["id"]
    step(p, "W111", cid, "accept", {"at": at(0)})
    step(p, "W111", cid, "escalate", {"at": at(1), "deadline": at(10)})
    step(p, "T11", cid, "keep", {"at": at(2), "deadline": at(5)})
    assert p.post("T11", f"/api/cases/{cid}/supervise", {"level": "yellow"}).status_code == 403
    step(p, "T11", cid, "escalate", {"at": at(6), "deadline": at(12)})
    step(p, "K1", cid, "escalate", {"at": at(7), "deadline": at(14)})
    out = step(p, "C1", cid, "keep", {"at": at(8), "deadline": at(9)})
    assert out["case"]["holder"]["code"] == CITY
    out = step(p, "C1", cid, "supervise", {"at": at(10), "level": "red"})
    assert out["case"]["supervision"] == "red"
