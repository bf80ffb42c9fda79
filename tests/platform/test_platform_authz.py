"""Authorisation matrix (002 第二十条): every user against every case and patrol; no leaks in
lists, details, audit logs, the Open311 facade, or actions."""

from __future__ import annotations

from typing import Any

from tests.platform.conftest import Platform, World, grid_code

SECRET_TEXT = "机密描述"


def expected_visible(world: World, user: str, case: dict[str, Any]) -> bool:
    """The rule, stated independently of the platform's code."""
    u = world.users[user]
    township, county = world.grid_line[case["grid"]]
    if u["role"] == "resident":
        return case["reported_by"] == user
    held = bool({u["unit"], *u["grids"]} & case["held"])
    return (
        held
        or {
            "grid_worker": case["grid"] in u["grids"],
            "grid_head": case["grid"] in u["grids"],
            "township_staff": u["unit"] == township,
            "county_staff": u["unit"] == county,
            "city_staff": True,
            "department_handler": False,
        }[u["role"]]
    )


def build_cases(p: Platform) -> list[dict[str, Any]]:
    """A case per grid, one by a resident, and three moved around the tree."""
    cases = []
    for grid in p.world.grid_line:
        body = p.report(p.world.worker_of(grid), grid, description=SECRET_TEXT)
        cases.append(
            {"id": body["id"], "grid": grid, "reported_by": body["reported_by"], "held": set()}
        )
    g111, g121, g122, g221 = (
        grid_code(1, 1, 1),
        grid_code(1, 2, 1),
        grid_code(1, 2, 2),
        grid_code(2, 2, 1),
    )
    resident_case = p.report("R111", g111, description=SECRET_TEXT)
    cases.append({"id": resident_case["id"], "grid": g111, "reported_by": "R111", "held": set()})

    def move(case: dict[str, Any], user: str, op: str, body: dict[str, Any], to: str) -> None:
        r = p.post(
            user, f"/api/cases/{case['id']}/{op}", {"deadline": "2030-01-01T00:00:00Z", **body}
        )
        assert r.status_code == 200, r.text
        assert r.json()["case"]["holder"]["code"] == to
        case["held"].add(to)

    by_grid = {c["grid"]: c for c in cases[:-1]}
    c = by_grid[g111]  # to a county department
    move(c, "W111", "accept", {}, g111)
    move(c, "W111", "escalate", {}, "370100100000")
    move(c, "T11", "dispatch", {"department": "CTY1-police"}, "CTY1-police")
    c = by_grid[g221]  # all the way up, then to the city's department
    move(c, "W221", "accept", {}, g221)
    move(c, "W221", "escalate", {}, "370200200000")
    move(c, "T22", "escalate", {}, "370200000000")
    move(c, "K2", "escalate", {}, "370000000000")
    move(c, "C1", "dispatch", {"department": "CITY-urban"}, "CITY-urban")
    c = by_grid[grid_code(1, 1, 2)]  # up to the county, then down to another township
    move(c, "W112", "accept", {}, grid_code(1, 1, 2))
    move(c, "W112", "escalate", {}, "370100100000")
    move(c, "T11", "escalate", {}, "370100000000")
    move(c, "K1", "assign", {"to_unit": "370100200000"}, "370100200000")
    c = by_grid[g122]  # accepted by the township, assigned to the neighbouring grid
    move(c, "T12", "accept", {}, "370100200000")
    move(c, "T12", "assign", {"to_unit": g121}, g121)
    return cases


def test_every_role_sees_exactly_its_cases(platform: Platform) -> None:
    p, world = platform, platform.world
    cases = build_cases(p)
    # Every user gets the list, detail and action checks; the other read paths (audit log,
    # Open311) share the visibility rule, so one user per role exercises them.
    first_of_role = {d["role"]: u for u, d in reversed(world.users.items())}
    leaks = []
    for user in world.users:
        want = {c["id"] for c in cases if expected_visible(world, user, c)}
        listed = {c["id"] for c in p.get(user, "/api/cases", limit=1000).json()["items"]}
        if listed != want:
            leaks.append((user, "list", sorted(listed ^ want)))
        token = p.tokens[user]
        o311 = p.client.get("/open311/v2/requests.json", params={"api_key": token})
        if {int(r["service_request_id"]) for r in o311.json()} != want:
            leaks.append((user, "open311 list"))
        for c in cases:
            responses = [
                p.get(user, f"/api/cases/{c['id']}"),
                p.post(user, f"/api/cases/{c['id']}/close", {}),
            ]
            if first_of_role[world.users[user]["role"]] == user:
                responses.append(p.get(user, f"/api/cases/{c['id']}/audit"))
                responses.append(
                    p.client.get(f"/open311/v2/requests/{c['id']}.json", params={"api_key": token})
                )
            codes = [r.status_code for r in responses]
            if c["id"] in want:  # readable; the action is refused or illegal, never done
                ok = codes[1] in (403, 409) and all(code == 200 for code in codes[:1] + codes[2:])
            else:  # as if it did not exist
                ok = all(code == 404 for code in codes)
                ok = ok and all(SECRET_TEXT not in r.text for r in responses)
            if not ok:
                leaks.append((user, c["id"], codes))
    assert leaks == []
    assert len(first_of_role) == 7


def test_open311_window_excludes_everything_outside_it(platform: Platform) -> None:
    p = platform
    p.report("W111", grid_code(1, 1, 1))
    window = {"start_date": "2000-01-01T00:00:00Z", "end_date": "2000-03-01T00:00:00Z"}
    r = p.client.get("/open311/v2/requests.json", params={"api_key": p.tokens["C1"], **window})
    assert r.status_code == 200 and r.json() == []


def test_visible_but_not_holder_may_not_act(platform: Platform) -> None:
    p = platform
    g = grid_code(1, 1, 1)
    cid = p.report("W111", g)["id"]
    for user in ("T11", "K1", "C1", "W112"):  # none holds it (W112 cannot even see it)
        r = p.post(user, f"/api/cases/{cid}/handle", {})
        assert r.status_code == (404 if user == "W112" else 403), (user, r.text)
    assert p.post("H11", f"/api/cases/{cid}/handle", {}).status_code == 409  # covers the grid
    assert p.post("R111", f"/api/cases/{cid}/handle", {}).status_code == 404
    r = p.post("W111", f"/api/cases/{cid}/accept", {})
    assert r.status_code == 200
    for user in ("T11", "K1"):
        assert p.post(user, f"/api/cases/{cid}/handle", {}).status_code == 403


def test_residents_see_only_their_own_reports(platform: Platform) -> None:
    p = platform
    g = grid_code(1, 1, 1)
    mine = p.report("R111", g)["id"]
    other = p.report("W111", g)["id"]
    assert p.get("R111", f"/api/cases/{mine}").status_code == 200
    assert p.get("R111", f"/api/cases/{other}").status_code == 404
    assert [c["id"] for c in p.get("R111", "/api/cases").json()["items"]] == [mine]
    assert p.post("R111", f"/api/cases/{mine}/accept", {}).status_code == 403


def test_patrols_are_visible_along_the_line_only(platform: Platform) -> None:
    p, world = platform, platform.world
    g = grid_code(1, 1, 1)
    assert p.post("W112", "/api/patrols", {"grid": g}).status_code == 403  # not their grid
    assert p.post("T11", "/api/patrols", {"grid": g}).status_code == 403  # not a grid role
    r = p.post("W111", "/api/patrols", {"grid": g, "external_id": "P1"})
    assert r.status_code == 201
    pid = r.json()["id"]
    can_see = {"W111", "H11", "T11", "K1", "C1"}
    for user in world.users:
        status = p.get(user, f"/api/patrols/{pid}").status_code
        assert status == (200 if user in can_see else 404), user
    assert p.post("H11", f"/api/patrols/{pid}/checkins", {}).status_code == 403
    assert p.post("W112", f"/api/patrols/{pid}/checkins", {}).status_code == 404
    assert p.post("W111", "/api/patrols/ext:P1/checkins", {"lat": 36.1}).status_code == 201
