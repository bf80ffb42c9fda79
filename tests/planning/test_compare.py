"""`gridsim compare`: no difference against itself, the right one against a one-rule change."""

from __future__ import annotations

import json
from pathlib import Path

from tests.planning.conftest import DISTRICT, check_report, gridsim, small_args

# Quarter-length routine deadlines (in both rule sets) so that five days of a small world
# run enough cases overdue for the written-explanation rule to show.
TIGHT = small_args("rules.deadlines.urgency_factor.routine=0.25")


def _compare(rules: str, out: Path) -> dict:
    r = gridsim("compare", DISTRICT, "--rules", rules, "--reps", "5", "--days", "5",
                "--processes", "2", "--out", out, "--json", *TIGHT)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_a_rule_set_against_itself_differs_nowhere(qingdao_variants, tmp_path: Path) -> None:
    same, _ = qingdao_variants
    result = _compare(f"qingdao,{same}", tmp_path / "same")
    assert not [g for g in result["gaps"] if g["significant"]]
    assert all(g["diff"] == 0 for g in result["gaps"] if g["diff"] == g["diff"])
    check_report(tmp_path / "same", {"kpis": {"kpi", "qingdao", "qingdao.lo", "qingdao.hi"},
                                     "gaps": {"kpi", "diff", "p", "p_holm", "significant"}})
    # the report opens with what the runs' stability flags said: five days are too few
    first = json.loads((tmp_path / "same" / "report.json").read_text("utf-8"))["sections"][0]
    assert first["heading"] == "Steady state"
    assert first["text"].startswith("Steady state not judged")


def test_one_flipped_rule_shows_in_the_kpi_it_drives(qingdao_variants, tmp_path: Path) -> None:
    _, flipped = qingdao_variants
    out = tmp_path / "flipped"
    result = _compare(f"qingdao,{flipped}", out)
    significant = {g["kpi"]: g for g in result["gaps"] if g["significant"]}
    # written explanations for overdue cases (002 第十九条-style) are the only change …
    assert set(significant) == {"explanations"}
    gap = significant["explanations"]
    assert gap["diff"] > 0 and gap["lo"] > 0
    # … and the gap is traced to that rule, with both sides' articles
    (driver,) = [d for d in gap["rule_differences"]
                 if d["path"] == "deadlines.overdue_written_explanation"]
    assert (driver["a"], driver["b"]) == ("false", "true")
    assert driver["article_a"].startswith("001 ")
    rows = check_report(out, {
        "kpis": {"kpi", "label", "qingdao", "qingdao.lo", "qingdao.hi"},
        "gaps": {"rules", "kpi", "diff", "diff.lo", "diff.hi", "p", "p_holm", "significant",
                 "rule_differences"},
        "rule_differences": {"rules", "rule", "article", "kpis"},
        "runs": {"variant", "seed", "explanations"},
    })
    assert [r["rule"] for r in rows["rule_differences"]] == [
        "deadlines.overdue_written_explanation"]
    assert (out / "charts" / "kpi_explanations.png").is_file()
