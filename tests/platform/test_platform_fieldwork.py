"""Patrols, check-ins, visits, and the health check."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from loadtest.platform.schemas import CheckinOut, PatrolOut, VisitOut
from tests.platform.conftest import Platform, grid_code

G = grid_code(1, 1, 1)


def test_patrol_lifecycle(platform: Platform) -> None:
    p = platform
    started = p.post(
        "W111",
        "/api/patrols",
        {"grid": G, "external_id": "PT-1", "at": "2024-03-01T08:00:00+08:00"},
    )
    assert started.status_code == 201, started.text
    patrol = PatrolOut.model_validate(started.json())
    assert patrol.started_at.isoformat() == "2024-03-01T00:00:00+00:00" and patrol.checkins == 0
    for lat in (36.1, 36.2):
        r = p.post(
            "W111", "/api/patrols/ext:PT-1/checkins", {"lat": lat, "lon": 116.0, "note": "巡查点"}
        )
        assert r.status_code == 201
        assert CheckinOut.model_validate(r.json()).patrol_id == patrol.id
    ended = p.post("W111", f"/api/patrols/{patrol.id}/end", {"at": "2024-03-01T10:00:00+08:00"})
    assert ended.status_code == 200
    assert ended.json()["ended_at"] == "2024-03-01T02:00:00Z" and ended.json()["checkins"] == 2
    again = p.post("W111", f"/api/patrols/{patrol.id}/end", {})
    assert again.status_code == 409 and again.json()["error"] == "patrol_ended"
    late = p.post("W111", f"/api/patrols/{patrol.id}/checkins", {})
    assert late.status_code == 409
    assert p.get("T11", "/api/patrols/ext:PT-1").json()["checkins"] == 2
    dup = p.post("W111", "/api/patrols", {"grid": G, "external_id": "PT-1"})
    assert dup.status_code == 409 and dup.json()["id"] == patrol.id
    assert p.get("W111", "/api/patrols/ext:nope").status_code == 404
    assert p.get("W111", "/api/patrols/not-a-ref").status_code == 404


def test_visits(platform: Platform) -> None:
    p = platform
    r = p.post(
        "W111",
        "/api/visits",
        {
            "grid": G,
            "kind": "renter",
            "household": "H-9",
            "notes": "出租屋登记",
            "external_id": "V-1",
        },
    )
    assert r.status_code == 201, r.text
    visit = VisitOut.model_validate(r.json())
    assert (visit.kind, visit.household, visit.user_id) == ("renter", "H-9", "W111")
    assert (
        p.post("W111", "/api/visits", {"grid": G, "kind": "x", "external_id": "V-1"}).status_code
        == 409
    )
    assert p.post("W112", "/api/visits", {"grid": G, "kind": "renter"}).status_code == 403
    assert p.post("W111", "/api/visits", {"grid": "0" * 19, "kind": "x"}).status_code == 422
    assert p.post("W111", "/api/visits", {"grid": G}).status_code == 422  # no kind


def test_health_reports_an_unreachable_database(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = platform
    assert p.client.get("/health").status_code == 200

    def broken() -> None:
        raise OperationalError("SELECT 1", {}, Exception("database is gone"))

    monkeypatch.setattr(p.app.state.platform.db, "ping", broken)
    r = p.client.get("/health")
    assert r.status_code == 503 and r.json()["status"] == "error"
