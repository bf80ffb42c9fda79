"""The 数字城管 example profile (loadtest/profiles/szcg-example.toml) drives a fake of that kind of
API: other verbs, Chinese states, refusals as HTTP 200 with a business code."""

from __future__ import annotations

import json
from pathlib import Path

from tests.loadtest.conftest import COP, GRIDS, RES, TOWN, W1, W2, reference_ops, replay
from tests.loadtest.fakes import FakeSzcg
from tests.loadtest.tracegen import TraceBuilder

BAD = "C00000099"  # closed straight after its report: the fake refuses (code 409, HTTP 200)


def test_the_example_profile_maps_the_trace_onto_a_szcg_api(tmp_path: Path) -> None:
    b = TraceBuilder()
    reference_ops(b, cases=10, spacing=10, step=10, patrols=4, visits=6)
    b.add(5, "case.report", W1, GRIDS[0], BAD, service_code="city.litter")
    b.add(6, "case.close", W1, GRIDS[0], BAD)
    b.add(7, "resident.query", W1, GRIDS[0], BAD)
    trace = b.write(tmp_path / "trace.jsonl")
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps({a[1]: f"token-{a[1]}" for a in (W1, W2, TOWN, COP)}
                                 | {RES[2]: "token-resident"}))
    with FakeSzcg() as fake:
        code, results = replay(trace, fake.url, tmp_path / "out", processes=2, speedup=100,
                               profile="szcg-example", tokens=str(tokens))
    ops = results["ops"]
    # the verbs the fake applied, per case, in order
    assert fake.actions["C00000000"] == ["受理", "处理", "结案"]  # settled on the spot
    assert fake.actions["C00000002"] == ["受理", "立案派遣", "处理", "核查通过", "结案"]
    assert fake.actions["C00000004"] == ["受理", "立案派遣", "督办", "处理", "核查通过", "结案"]
    assert fake.actions["C00000007"] == ["受理", "立案派遣", "处理", "核查不通过", "处理",
                                         "核查通过", "结案"]
    # what this API has no call for is skipped and counted
    for op in ("case.escalate", "case.feedback", "patrol.start", "visit.record"):
        assert ops[op]["counts"]["unsupported"] == ops[op]["counts"]["due"] > 0
    # the refusal came as HTTP 200 + code 409: judged a failure, and the query after it skipped
    assert ops["case.close"]["counts"]["failed"] == 1
    assert ["case.close", "body $.code != 0", 1] in results["reasons"]
    assert ops["resident.query"]["counts"]["skipped"] == 1
    rec = results["reconcile"]
    assert (rec["checked"], rec["lost"], rec["duplicated"], rec["mismatched"]) == (11, 0, 0, 1)
    (row,) = rec["rows"]
    assert (row["case"], row["expected"], row["actual"]) == (BAD, "已结案", "待受理")
    assert code == 1
