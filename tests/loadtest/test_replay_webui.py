"""`locust -f loadtest/locustfile.py` with Locust's web UI, one process (Locust's local runner):
the replay options come from the start form, the load shape runs the replay, and the results
are written when it ends."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx

from loadtest.replay.runner import LOCUSTFILE, free_port
from tests.loadtest.conftest import FAKE_PROFILE
from tests.loadtest.fakes import FakePlatform
from tests.loadtest.test_replay_fake import CASES, build


def test_the_locustfile_runs_from_the_web_ui(tmp_path: Path) -> None:
    trace, out, port = build(tmp_path / "trace.parquet"), tmp_path / "out", free_port()
    ui = f"http://127.0.0.1:{port}"
    with FakePlatform() as fake:
        locust = subprocess.Popen(
            [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--host", fake.url,
             "--web-host", "127.0.0.1", "--web-port", str(port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                assert time.monotonic() < deadline and locust.poll() is None
                try:
                    httpx.get(ui, timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            # the start form, as the browser posts it (the replay options are custom fields)
            form = {"host": fake.url, "replay_trace": str(trace), "replay_profile": FAKE_PROFILE,
                    "replay_speedup": "50", "replay_out": str(out), "replay_report": "off"}
            started = httpx.post(f"{ui}/swarm", data=form, timeout=10).json()
            assert started["success"] and "ReplayShape" in started["message"]
            while (state := httpx.get(f"{ui}/stats/requests", timeout=5).json())["state"] \
                    != "stopped":
                assert time.monotonic() < deadline + 60
                time.sleep(0.3)
            names = {s["name"] for s in state["stats"]}
            assert {"case.report", "case.close", "reconcile.fetch"} <= names
        finally:
            locust.terminate()
            locust.wait(timeout=30)
    results = json.loads((out / "results.json").read_text())
    assert results["passed"] and results["meta"]["workers"] == 1
    assert results["reconcile"]["checked"] == CASES
