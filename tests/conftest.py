"""Shared fixtures: paths to the shipped scenarios, and a scratch copy of them to break."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
SEEDS = SCENARIOS / "seeds"  # the four regulations, as cited by scenarios/rules/
RULE_SETS = ("jiangsu", "qingdao", "liaocheng", "zigong")


@pytest.fixture
def scenario_copy(tmp_path: Path) -> Path:
    """A writable copy of scenarios/ (to make broken variants in)."""
    dst = tmp_path / "scenarios"
    shutil.copytree(SCENARIOS, dst)
    return dst
