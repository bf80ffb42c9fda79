"""One replay on two worker processes against a fake platform that loses one case, duplicates
another and silently ignores the transitions of a third: ordering, id capture, sharding,
skipping and reconciliation, all checked on what the fake saw."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from tests.loadtest.conftest import FAKE_PROFILE, replay
from tests.loadtest.fakes import FakePlatform
from tests.loadtest.tracegen import TraceBuilder

W = ("grid_worker", "W0000001", "3700000000000000001")
T = ("township_staff", "W0000009", "370000001000")
G = "3700000000000000001"
CASES = 40
LOST, DUPLICATED, STALE = "C00000003", "C00000005", "C00000007"
# what the fake records per case: the transitions the profile maps, in trace order
TRANSITIONS = ["accept", "dispatch", "supervise", "handle", "verify", "close"]


def build(path: Path) -> Path:
    b = TraceBuilder()
    for n in range(CASES):
        case, t = f"C{n:08d}", n * 4.0  # cases overlap: a new one every 4 s, each lasts ~60 s
        b.add(t, "case.report", W, G, case)
        b.add(t + 10, "case.accept", W, G, case)
        b.add(t + 10, "case.escalate", W, G, case, tier="township")  # the fake has no such call
        b.add(t + 20, "case.dispatch", T, G, case, to="dept:police@county", to_unit="P1")
        b.add(t + 21, "case.supervise", T, G, case, level="yellow")
        b.add(t + 30, "resident.query", W, G, case)
        b.add(t + 40, "case.handle", T, G, case, resolved=True)
        b.add(t + 60, "case.verify", T, G, case, passed=True)
        b.add(t + 60, "case.close", T, G, case)  # same t as verify: seq keeps the order
    for p in range(6):
        b.add(p * 9.0, "patrol.start", W, G, patrol=f"P{p}")
        for k in (1, 2, 3):
            b.add(p * 9.0 + k, "patrol.checkin", W, G, patrol=f"P{p}")
        b.add(p * 9.0 + 4, "patrol.end", W, G, patrol=f"P{p}")
    for v in range(10):
        b.add(v * 7.0, "visit.record", W, G, household=f"H{v}")
    return b.write(path)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("fake")
    trace = build(tmp / "trace.parquet")
    with FakePlatform(drop={LOST}, duplicate={DUPLICATED}, stale={STALE}) as fake:
        code, results = replay(trace, fake.url, tmp / "out", processes=2, speedup=50,
                               profile=FAKE_PROFILE)
    return {"code": code, "results": results, "fake": fake}


def test_each_case_ran_in_trace_order_with_the_ids_the_platform_gave(run: dict) -> None:
    fake: FakePlatform = run["fake"]
    verbs = fake.case_verbs()
    assert sorted(verbs) == [f"C{n:08d}" for n in range(CASES)]
    assert all(v == TRANSITIONS for v in verbs.values()), verbs
    # every later step addressed the case by the id the fake made up for it
    ids = {r.id for r in fake.cases.values()}
    steps = [h for h in fake.hits if h.path.startswith("/cases/") and h.method == "POST"]
    assert len(steps) == CASES * len(TRANSITIONS)
    assert {h.path.split("/")[2] for h in steps} <= ids
    queries = [h for h in fake.hits if h.method == "GET" and h.path.startswith("/cases/")]
    assert len(queries) == CASES and {h.path.split("/")[2] for h in queries} <= ids
    assert all(p == ["start", "checkin", "checkin", "checkin", "end"]
               for p in fake.patrols.values())


def test_cases_are_sharded_across_two_workers_one_worker_per_case(run: dict) -> None:
    fake: FakePlatform = run["fake"]
    ext_of = {r.id: r.ext for r in fake.cases.values()}
    workers: dict[str, set[str]] = defaultdict(set)
    for hit in fake.hits:
        if hit.method == "POST" and hit.path == "/cases":
            workers[hit.body["ext"]].add(hit.worker or "")
        elif hit.path.startswith("/cases/"):
            workers[ext_of[hit.path.split("/")[2]]].add(hit.worker or "")
    assert all(len(w) == 1 for w in workers.values())
    assert set().union(*workers.values()) == {"0", "1"}
    shards = run["results"]["shards"]
    assert [s["shard"] for s in shards] == [0, 1] and len({s["pid"] for s in shards}) == 2


def test_outcomes_add_up_and_unsupported_operations_are_counted(run: dict) -> None:
    ops = run["results"]["ops"]
    for row in ops.values():
        c = row["counts"]
        assert c["due"] == c["unsupported"] + c["skipped"] + c["ok"] + c["failed"] + c["aborted"]
    assert ops["case.escalate"]["counts"]["unsupported"] == CASES
    assert ops["all"]["counts"]["failed"] == 0
    assert ops["all"]["counts"]["ok"] == ops["all"]["counts"]["due"] - CASES
    assert run["results"]["problems"] == []


def test_reconciliation_finds_the_lost_the_duplicated_and_the_stale(run: dict) -> None:
    rec = run["results"]["reconcile"]
    assert (rec["checked"], rec["lost"], rec["duplicated"], rec["mismatched"]) == (CASES, 1, 1, 1)
    problems = {row["case"]: row for row in rec["rows"]}
    assert problems[LOST]["problem"] == "lost"
    assert problems[DUPLICATED]["problem"] == "duplicated" and problems[DUPLICATED]["copies"] == 2
    stale = problems[STALE]
    assert (stale["problem"], stale["expected"], stale["actual"]) == ("mismatched", "close",
                                                                     "report")
    assert run["code"] == 1 and run["results"]["passed"] is False
