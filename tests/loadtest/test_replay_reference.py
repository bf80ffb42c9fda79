"""Against the reference platform (`gridsim platform serve` on SQLite, in a subprocess): a clean
run loses nothing; nor does a run during which the platform is SIGKILLed and restarted; and the
Open311 profile reports and queries through the facade."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from tests.loadtest.conftest import ServedPlatform, reference_trace, replay

NOTHING_LOST = {"lost": 0, "duplicated": 0, "mismatched": 0, "unverified": 0}


def _reconciled(results: dict[str, Any]) -> dict[str, int]:
    rec = results["reconcile"]
    assert rec["configured"] and rec["listed"]
    return {k: rec[k] for k in NOTHING_LOST}


def test_a_clean_run_loses_nothing(shared_platform: ServedPlatform, tmp_path: Path) -> None:
    platform = shared_platform
    trace = reference_trace(tmp_path / "trace.jsonl", cases=30, spacing=20, step=15)
    code, results = replay(trace, platform.url, tmp_path / "out", processes=2, speedup=100,
                           tokens=str(platform.tokens), check="fail<0.1%")
    assert code == 0, (results["reasons"], results["problems"])
    counts = results["ops"]["all"]["counts"]
    assert counts["failed"] == counts["skipped"] == counts["aborted"] == counts["unsupported"] == 0
    assert _reconciled(results) == NOTHING_LOST and results["reconcile"]["checked"] == 30


def test_nothing_is_lost_when_the_platform_is_killed_and_restarted(
    platform: ServedPlatform, tmp_path: Path
) -> None:
    cases = 60
    trace = reference_trace(tmp_path / "trace.jsonl", cases=cases, spacing=20, step=15)
    outcome: dict[str, Any] = {}

    def run() -> None:
        outcome["code"], outcome["results"] = replay(
            trace, platform.url, tmp_path / "out", processes=2, speedup=100,
            tokens=str(platform.tokens))

    replaying = threading.Thread(target=run)
    replaying.start()
    deadline = time.monotonic() + 60
    while platform.cases() < cases // 4:  # well into the run
        assert time.monotonic() < deadline and replaying.is_alive()
        time.sleep(0.05)
    platform.kill()
    killed_at = platform.cases()
    time.sleep(0.5)
    platform.start()
    replaying.join(timeout=240)
    assert not replaying.is_alive()
    results = outcome["results"]
    assert killed_at < cases  # the kill really fell mid-run
    assert outcome["code"] == 0, (results["reasons"], results["problems"],
                                  results["reconcile"]["rows"][:5])
    counts = results["ops"]["all"]["counts"]
    assert counts["retries"] > 0  # requests did hit the dead platform, and were retried
    assert counts["failed"] == counts["skipped"] == counts["aborted"] == 0
    assert _reconciled(results) == NOTHING_LOST and results["reconcile"]["checked"] == cases
    assert platform.cases() == cases


def test_open311_reports_and_queries(shared_platform: ServedPlatform, tmp_path: Path) -> None:
    platform = shared_platform  # Open311 reports carry no external id: no clash with the above
    trace = reference_trace(tmp_path / "trace.jsonl", cases=10, spacing=10, step=10,
                            patrols=1, visits=1)
    code, results = replay(trace, platform.url, tmp_path / "out", speedup=100,
                           tokens=str(platform.tokens), profile="open311")
    assert code == 0, (results["reasons"], results["problems"])
    ops = results["ops"]
    assert ops["case.report"]["counts"]["ok"] == 10
    assert ops["resident.query"]["counts"]["ok"] == ops["resident.query"]["counts"]["due"] > 0
    supported = {"case.report", "resident.query", "all"}
    assert all(row["counts"]["unsupported"] == row["counts"]["due"]
               for op, row in ops.items() if op not in supported)
    rec = results["reconcile"]
    assert rec["checked"] == 10 and rec["lost"] == rec["mismatched"] == 0  # all "open"
