"""Idempotency keys, and data (keys included) surviving restarts, including a kill -9."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from loadtest.platform.app import close_app, create_app
from tests.platform.conftest import SECRET, Platform, World, grid_code

G = grid_code(1, 1, 1)
REPORT = {"type": "city.litter", "grid": G, "external_id": "IDEM-1", "description": "x"}


def test_same_key_twice_makes_one_case_with_the_same_response(platform: Platform) -> None:
    p = platform
    first = p.post("W111", "/api/cases", REPORT, key="k-1")
    again = p.post("W111", "/api/cases", REPORT, key="k-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(p.get("W111", "/api/cases").json()["items"]) == 1
    # Without a key the same external id is refused, not duplicated.
    dup = p.post("W111", "/api/cases", REPORT)
    assert dup.status_code == 409 and dup.json()["id"] == first.json()["id"]


def test_keys_are_per_user(platform: Platform) -> None:
    p = platform
    a = p.post("W111", "/api/cases", {"type": "x", "grid": G}, key="shared")
    b = p.post("H11", "/api/cases", {"type": "x", "grid": G}, key="shared")
    assert a.status_code == b.status_code == 201 and a.json()["id"] != b.json()["id"]


def test_retried_transition_returns_the_original_not_409(platform: Platform) -> None:
    p = platform
    cid = p.report("W111", G)["id"]
    first = p.post("W111", f"/api/cases/{cid}/accept", {}, key="acc-1")
    again = p.post("W111", f"/api/cases/{cid}/accept", {}, key="acc-1")
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert p.post("W111", f"/api/cases/{cid}/accept", {}).status_code == 409  # no key: judged anew
    assert len(p.get("W111", f"/api/cases/{cid}/audit").json()) == 2


def test_failed_requests_are_not_remembered(platform: Platform) -> None:
    p = platform
    cid = p.report("W111", G)["id"]
    early = p.post("W111", f"/api/cases/{cid}/handle", {}, key="h-1")
    assert early.status_code == 409
    assert p.post("W111", f"/api/cases/{cid}/accept", {}).status_code == 200
    assert p.post("W111", f"/api/cases/{cid}/handle", {}, key="h-1").status_code == 200


def test_key_reused_for_another_request_is_422(platform: Platform) -> None:
    p = platform
    cid = p.report("W111", G)["id"]
    assert p.post("W111", f"/api/cases/{cid}/accept", {}, key="k-x").status_code == 200
    r = p.post("W111", "/api/cases", {"type": "x", "grid": G}, key="k-x")
    assert r.status_code == 422 and r.json()["error"] == "idempotency_key_reused"


def test_data_and_keys_survive_an_app_restart(tmp_path: Path, world: World) -> None:
    url = f"sqlite:///{tmp_path / 'restart.db'}"
    p = Platform(url, world)
    created = p.post("W111", "/api/cases", REPORT, key="k-restart").json()
    assert p.post("W111", f"/api/cases/{created['id']}/accept", {}).status_code == 200
    p.close()

    app = create_app(url)
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        headers = {**p.headers("W111"), "Idempotency-Key": "k-restart"}
        again = client.post("/api/cases", json=REPORT, headers=headers)
        assert again.status_code == 201 and again.json() == created
        case = client.get(f"/api/cases/{created['id']}", headers=p.headers("W111")).json()
        assert case["state"] == "accepted" and case["description"] == "x"
    close_app(app)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(url: str, port: int) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-c",
        "from loadtest.platform.cli import app; app()",
        "serve",
        "--db",
        url,
        "--port",
        str(port),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=0.5).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"server did not start: {proc.stderr.read() if proc.stderr else ''}")


def test_kill_9_loses_nothing_committed(tmp_path: Path, world: World) -> None:
    from loadtest.platform.db import Database
    from loadtest.platform.seed import seed

    url = f"sqlite:///{tmp_path / 'kill.db'}"
    db = Database(url)
    tokens = seed(db, world.spec, SECRET)
    db.dispose()
    headers = {"Authorization": f"Bearer {tokens['W111']}"}
    port = _free_port()
    proc = _serve(url, port)
    base = f"http://127.0.0.1:{port}"
    try:
        ids = []
        for i in range(20):
            r = httpx.post(
                f"{base}/api/cases",
                json={**REPORT, "external_id": f"K{i}"},
                headers={**headers, "Idempotency-Key": f"kill-{i}"},
            )
            assert r.status_code == 201
            ids.append(r.json()["id"])
    finally:
        proc.kill()  # SIGKILL: no shutdown, no checkpoint
        proc.wait()
    proc = _serve(url, port)
    try:
        listed = httpx.get(f"{base}/api/cases", headers=headers).json()["items"]
        assert [c["id"] for c in listed] == ids
        replay = httpx.post(
            f"{base}/api/cases",
            json={**REPORT, "external_id": "K3"},
            headers={**headers, "Idempotency-Key": "kill-3"},
        )
        assert replay.status_code == 201 and replay.json()["id"] == ids[3]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
