"""Open311 GeoReport v2 facade: fields, filters, limits and the spec's error format."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from loadtest.platform.catalog import SERVICES
from loadtest.platform.routes import open311
from tests.platform.conftest import Platform, grid_code

G = grid_code(1, 1, 1)
SERVICE_FIELDS = {
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
}
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}


def assert_spec_error(r: Any, code: int) -> None:
    """The GeoReport v2 error shape: a list of {code, description}."""
    assert r.status_code == code, r.text
    body = r.json()
    assert isinstance(body, list) and len(body) == 1
    assert body[0]["code"] == code and isinstance(body[0]["description"], str)
    assert body[0]["description"]


def post_form(p: Platform, user: str | None, **fields: Any) -> Any:
    data = {"api_key": p.tokens[user]} if user else {}
    return p.client.post("/open311/v2/requests.json", data={**data, **fields})


def test_service_list_and_definition(platform: Platform) -> None:
    c = platform.client
    services = c.get("/open311/v2/services.json").json()
    assert [s["service_code"] for s in services] == [s.code for s in SERVICES]
    for s in services:
        assert set(s) == SERVICE_FIELDS
        assert s["type"] in {"realtime", "batch", "blackbox"} and isinstance(s["metadata"], bool)
    definition = c.get("/open311/v2/services/city.litter.json").json()
    assert definition["service_code"] == "city.litter"
    assert [a["code"] for a in definition["attributes"]] == ["grid", "urgency"]
    assert_spec_error(c.get("/open311/v2/services/no.such.json"), 404)


def test_post_form_request_creates_a_case(platform: Platform) -> None:
    p = platform
    r = post_form(
        p,
        "R111",
        service_code="city.litter",
        lat="36.45",
        long="115.98",
        address_string="某路1号",
        description="垃圾",
        first_name="五",
        last_name="王",
        phone="13800000000",
        media_url="http://example.invalid/a.jpg",
    )
    assert r.status_code == 201, r.text
    [created] = r.json()
    assert set(created) == {"service_request_id", "service_notice", "account_id"}
    assert created["account_id"] == "R111"
    sid = created["service_request_id"]
    case = p.get("R111", f"/api/cases/{sid}").json()
    assert (case["grid"], case["source"], case["type"]) == (G, "open311", "city.litter")
    assert case["reporter"] == {"name": "王 五", "phone": "13800000000"}

    [req] = p.client.get(
        f"/open311/v2/requests/{sid}.json", params={"api_key": p.tokens["R111"]}
    ).json()
    assert set(req) == REQUEST_FIELDS
    assert req["service_request_id"] == sid and req["status"] == "open"
    assert req["service_name"] == "乱扔垃圾" and req["address_id"] == G
    assert (req["lat"], req["long"]) == (36.45, 115.98)
    assert req["agency_responsible"] == "网格111" and req["expected_datetime"] is None
    assert req["requested_datetime"].endswith("Z")
    datetime.fromisoformat(req["requested_datetime"])


def test_post_json_with_grid_attribute_and_bearer(platform: Platform) -> None:
    p = platform
    other = grid_code(1, 1, 2)
    r = p.client.post(
        "/open311/v2/requests.json",
        json={"service_code": "env.noise", "address_id": other, "attribute": {"urgency": "urgent"}},
        headers=p.headers("W112"),
    )
    assert r.status_code == 201, r.text
    case = p.get("W112", f"/api/cases/{r.json()[0]['service_request_id']}").json()
    assert (case["grid"], case["urgency"]) == (other, "urgent")


def test_post_errors_use_the_spec_format(platform: Platform) -> None:
    p = platform
    assert_spec_error(post_form(p, "R111", lat="1", long="2"), 400)  # no service_code
    assert_spec_error(post_form(p, "R111", service_code="nope", lat="1", long="2"), 404)
    assert_spec_error(post_form(p, "R111", service_code="city.litter"), 400)  # no location
    assert_spec_error(post_form(p, None, service_code="city.litter", lat="1", long="2"), 401)
    assert_spec_error(post_form(p, "R111", service_code="city.litter", lat="999", long="2"), 400)


def test_status_closed_and_filters(platform: Platform) -> None:
    p = platform
    ids = [p.report("W111", G, type=t)["id"] for t in ("city.litter", "env.noise", "env.noise")]
    for op, body in (("accept", {}), ("handle", {"on_spot": True}), ("close", {})):
        assert p.post("W111", f"/api/cases/{ids[0]}/{op}", body).status_code == 200
    key = {"api_key": p.tokens["T11"]}

    def query(**params: Any) -> list[int]:
        r = p.client.get("/open311/v2/requests.json", params={**key, **params})
        assert r.status_code == 200, r.text
        return [int(x["service_request_id"]) for x in r.json()]

    assert query() == ids[::-1]  # newest first
    assert query(status="closed") == [ids[0]]
    assert query(status="open") == ids[:0:-1]
    assert query(status="open,closed") == ids[::-1]
    assert query(service_code="env.noise") == ids[:0:-1]
    assert query(service_code="env.noise,city.litter") == ids[::-1]
    # service_request_id overrides every other filter
    assert sorted(query(service_request_id=f"{ids[0]},{ids[2]}", status="open")) == [ids[0], ids[2]]
    closed = p.client.get(f"/open311/v2/requests/{ids[0]}.json", params=key).json()[0]
    assert closed["status"] == "closed" and "结案" in closed["status_notes"]
    now = datetime.now(UTC)
    assert (
        query(
            start_date=(now - timedelta(days=1)).isoformat(),
            end_date=(now + timedelta(days=1)).isoformat(),
        )
        == ids[::-1]
    )
    assert query(end_date=(now - timedelta(days=1)).isoformat()) == []


def test_query_errors(platform: Platform) -> None:
    p = platform
    key = {"api_key": p.tokens["T11"]}
    get = p.client.get
    assert_spec_error(get("/open311/v2/requests.json", params={**key, "status": "pending"}), 400)
    assert_spec_error(
        get("/open311/v2/requests.json", params={**key, "start_date": "yesterday"}), 400
    )
    too_wide = {"start_date": "2024-01-01T00:00:00Z", "end_date": "2024-06-01T00:00:00Z"}
    assert_spec_error(get("/open311/v2/requests.json", params={**key, **too_wide}), 400)
    assert_spec_error(get("/open311/v2/requests.json"), 401)
    assert_spec_error(get("/open311/v2/requests/999999.json", params=key), 404)
    assert_spec_error(get("/open311/v2/requests/abc.json", params=key), 404)


def test_at_most_1000_requests(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> None:
    p = platform
    monkeypatch.setattr(open311, "MAX_REQUESTS", 3)  # the limit's logic, without 1001 cases
    ids = [p.report("W111", G)["id"] for _ in range(5)]
    r = p.client.get("/open311/v2/requests.json", params={"api_key": p.tokens["C1"]})
    assert [int(x["service_request_id"]) for x in r.json()] == ids[:1:-1]


def test_idempotent_open311_post(platform: Platform) -> None:
    p = platform
    data = {"api_key": p.tokens["R111"], "service_code": "city.litter", "address_string": "x"}
    first = p.client.post(
        "/open311/v2/requests.json", data=data, headers={"Idempotency-Key": "o311-1"}
    )
    again = p.client.post(
        "/open311/v2/requests.json", data=data, headers={"Idempotency-Key": "o311-1"}
    )
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again.headers["Idempotent-Replayed"] == "true"
    assert len(p.get("R111", "/api/cases").json()["items"]) == 1
