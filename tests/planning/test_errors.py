"""Bad input: one line on stderr, exit code 2, no traceback, before any simulation."""

from __future__ import annotations

import pytest

from sim.config import load_part
from sim.planning.rulediff import diff_rules
from tests.conftest import SCENARIOS
from tests.planning.conftest import DISTRICT, gridsim_process

ZIGONG = SCENARIOS / "district-zigong.toml"


@pytest.mark.parametrize(("args", "says"), [
    (["size", DISTRICT, "--target", "speed=0.9"], "unknown KPI"),
    (["size", DISTRICT, "--target", "on_time=1.5"], "strictly between 0 and 1"),
    (["size", DISTRICT, "--target", "feedback=0.9"], "cannot size for this KPI"),
    (["size", ZIGONG, "--target", "on_time=0.9", "--tier", "township"], "no township centre"),
    (["size", DISTRICT, "--target", "on_time=0.9", "--tier", "street"], "unknown tier"),
    (["sweep", DISTRICT, "--vary", "staffing.centres.county"], "expected KEY=V1,V2"),
    (["sweep", DISTRICT, "--vary", "staffing.centres.county=1,,2"], "empty value"),
    (["sweep", DISTRICT, "--vary", "staffing.centres.nowhere=1,2"], "unknown key"),
    (["compare", DISTRICT, "--rules", "jiangsu,atlantis"], "unknown rule set"),
    (["compare", DISTRICT, "--rules", "jiangsu"], "two or more rule sets"),
    (["deadlines", DISTRICT, "--on-time", "1.2"], "strictly between 0 and 1"),
    (["sweep", DISTRICT, "--vary", "staffing.centres.county=1", "--dask", "tcp://127.0.0.1:9"],
     "cannot reach the Dask scheduler"),
])
def test_bad_input_is_one_line_exit_2(args: list, says: str, tmp_path) -> None:
    proc = gridsim_process(*args, "--out", tmp_path / "out")
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0], lines
    assert not (tmp_path / "out").exists()


def test_rule_diff_itself_and_a_known_difference() -> None:
    jiangsu = load_part("rules", SCENARIOS / "rules" / "jiangsu.toml")
    qingdao = load_part("rules", SCENARIOS / "rules" / "qingdao.toml")
    assert diff_rules(jiangsu, jiangsu) == []
    d = {x.path: x for x in diff_rules(jiangsu, qingdao)}
    share = d["staffing.max_grids_per_full_time"]
    assert (share.a, share.b) == ("1", "3")
    assert share.article_a.startswith("000 ") and share.article_b.startswith("001 ")
    assert "jurisdiction.name" not in d  # identity is not a rule
