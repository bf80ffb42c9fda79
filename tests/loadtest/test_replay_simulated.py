"""The model's own trace against the reference platform seeded from the same world: every
operation the simulation performs has a call on the platform (none unsupported), every call
succeeds, and every case reads back in the state the trace left it in.

Under Qingdao's rules (001 五.3 referrals to coordination) and Liaocheng's (written
explanations of overdue work), departments starved so that deadlines are missed and supervised.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from loadtest.platform.seed import load_directory
from sim.runner import simulate
from sim.trace import build_trace, write_trace
from sim.world.export import export_world
from tests.loadtest.conftest import replay, served_platform
from tests.trace.conftest import DAYS, SEED, small

# ops each rule set must exercise here, so a pass means these calls were made and accepted
EXERCISED = {
    "qingdao": {"case.supervise", "case.dispatch", "case.handle", "case.verify"},
    "liaocheng": {"case.explain_overdue", "case.supervise", "case.dispatch", "case.handle"},
}


@pytest.mark.parametrize("rules", ["qingdao", "liaocheng"])
def test_a_simulated_trace_replays_whole(rules: str, tmp_path: Path) -> None:
    result = simulate(small(rules), days=DAYS, seed=SEED, trace=True)
    assert result.model is not None
    table = build_trace(result.model, SEED)
    trace = tmp_path / "trace.parquet"
    write_trace(table, trace)
    rows = table.to_pylist()

    def traced(op: str, test: Callable[[dict[str, Any]], bool]) -> bool:
        return any(r["op"] == op and test(json.loads(r["payload"])) for r in rows)

    # the variants this test exists for are in the trace
    assert traced("case.handle", lambda p: p["resolved"] is False)  # first handling, unsolved
    assert traced("case.dispatch", lambda p: not p["to"].startswith("dept:"))  # 自办
    if rules == "qingdao":
        assert traced("case.supervise", lambda p: p["level"] == "coordination")

    export_world(result.model.world, tmp_path / "world")
    spec = load_directory(tmp_path / "world" / "directory.json")
    with served_platform(tmp_path, spec) as platform:
        code, results = replay(trace, platform.url, tmp_path / "out", speedup=20000,
                               max_idle="20ms", tokens=str(platform.tokens))
    assert code == 0, (results["reasons"], results["problems"][:5])
    ops = results["ops"]
    counts = ops["all"]["counts"]
    assert counts["ok"] == counts["due"] == len(rows)
    assert counts["unsupported"] == counts["failed"] == counts["skipped"] == 0
    assert all(ops[op]["counts"]["ok"] > 0 for op in EXERCISED[rules])
    rec = results["reconcile"]
    reported = sum(r["op"] == "case.report" for r in rows)
    assert rec["checked"] == reported
    assert rec["lost"] == rec["duplicated"] == rec["mismatched"] == rec["unverified"] == 0
