"""Every rule set and ready-made scenario loads, and every citation points at a real article."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from sim.config import load_part, load_scenario
from sim.config.cited import Cited
from tests.conftest import RULE_SETS, SCENARIOS, SEEDS

SEED_FILES = {p.name[:3]: p for p in SEEDS.glob("0*.txt")}
NUMERALS = "零一二三四五六七八九十"


def _walk_cited(obj: object, path: str = ""):
    if isinstance(obj, Cited):
        yield path, obj
    if isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            yield from _walk_cited(getattr(obj, name), f"{path}.{name}")
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _walk_cited(v, f"{path}.{k}")


def _article_in_seed(cite: str) -> bool:
    """Does the cited article exist in the seed text (traditional 條 folded to 条)?"""
    doc, _, article = cite.strip().partition(" ")
    text = SEED_FILES[doc].read_text(encoding="utf-8").replace("條", "条")
    article = article.split()[0]
    m = re.match(r"(第[零一二三四五六七八九十百]+条)", article)
    if m:
        return m.group(1) in text
    m = re.match(r"办法(\d+)", article)
    if m:
        return f"\n{m.group(1)}、" in text
    m = re.match(r"附件(\d)", article)
    if m:
        return ("附件" + NUMERALS[int(m.group(1))]) in text or ("附件" + m.group(1)) in text
    m = re.match(r"([一二三四五六七八九十])\.(\d+)", article)
    if m:
        return f"{m.group(1)}、" in text and f"{m.group(2)}、" in text
    m = re.match(r"([一二三四五六七八九十])$", article)
    return bool(m) and f"{m.group(1)}、" in text


@pytest.mark.parametrize("key", RULE_SETS)
def test_rule_set_loads_and_cites_real_articles(key: str) -> None:
    rules = load_part("rules", SCENARIOS / "rules" / f"{key}.toml")
    assert rules.jurisdiction.key == key
    blocks = list(_walk_cited(rules))
    assert len(blocks) > 20
    cites = [c for _, b in blocks if b.cite for c in b.cite.split(";")]
    assert all(c.strip()[:3] == rules.jurisdiction.document for c in cites), cites
    missing = [c for c in cites if not _article_in_seed(c)]
    assert not missing, f"cited articles not found in the seed text: {missing}"
    assumptions = [p for p, b in blocks if b.assumed]
    assert assumptions, "numbers no regulation gives must be marked as assumptions"


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.stem)
def test_ready_made_scenarios_load(path: Path) -> None:
    s = load_scenario(path)
    assert s.meta.name == path.stem
    assert s.rules.jurisdiction.key in RULE_SETS
    assert s.holidays is not None and {2024, 2025} <= set(s.holidays.years)


def test_holiday_calendar_by_bare_name_or_none() -> None:
    path = SCENARIOS / "district-jiangsu.toml"
    s = load_scenario(path, parts={"holidays": "cn-public-holidays"})
    assert s.files["holidays"] == str(SCENARIOS / "calendars" / "cn-public-holidays.toml")
    assert s.holidays == load_scenario(path).holidays
    none = load_scenario(path, sets=['scenario.holidays=""'])
    assert none.holidays is None and "holidays" not in none.files


def test_every_workload_number_has_a_source() -> None:
    w = load_part("workload", SCENARIOS / "workloads" / "standard.toml")
    for field in ("rate_per_1000_households_per_day", "self_resolve", "deadline_hours"):
        assert w.sources[field].strip()
    cats = set(w.categories)
    assert {"info", "patrol_security", "key_groups", "governance", "disputes", "publicity",
            "opinion", "proxy_service"} <= cats  # 001 附件1's eight categories


def test_swapping_rules_keeps_world_workload_staffing() -> None:
    a = load_scenario(SCENARIOS / "district-jiangsu.toml")
    b = load_scenario(SCENARIOS / "district-jiangsu.toml", parts={"rules": "zigong"})
    assert b.rules.jurisdiction.key == "zigong"
    assert (a.world, a.workload, a.staffing) == (b.world, b.workload, b.staffing)
