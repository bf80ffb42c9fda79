"""Small traced runs shared by the trace tests: one street and one town for a week, with the
departments starved so deadlines are missed (explanations under Liaocheng's rules, supervision
and 001 五.3 coordination under Qingdao's)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pytest

from sim.config import Scenario, load_scenario
from sim.runner import RunResult, simulate
from sim.trace import build_trace
from tests.conftest import SCENARIOS
from tests.model.conftest import SMALL

DAYS = 7
SEED = 11
STARVED = ("staffing.departments.township=0.3", "staffing.departments.county=0.3",
           "staffing.departments.overrides={}")


def small(rules: str) -> Scenario:
    """The district shrunk to one street and one town, departments starved."""
    return load_scenario(SCENARIOS / "district-jiangsu.toml", parts={"rules": rules},
                         sets=[*SMALL, *STARVED])


@dataclass
class Traced:
    """A traced run, its trace, and the trace's rows as dicts (payload parsed)."""

    result: RunResult
    table: pa.Table
    rows: list[dict[str, Any]]

    @property
    def cases(self) -> dict[str, dict[str, Any]]:
        """cases.parquet rows by case id."""
        return {r["service_request_id"]: r for r in self.result.cases.to_pylist()}

    def of(self, op: str) -> list[dict[str, Any]]:
        """The rows of one operation type."""
        return [r for r in self.rows if r["op"] == op]


def traced_run(rules: str, seed: int = SEED, days: float = DAYS) -> Traced:
    """Simulate ``small(rules)`` with tracing and export its trace."""
    result = simulate(small(rules), days=days, seed=seed, trace=True)
    assert result.model is not None
    table = build_trace(result.model, seed)
    rows = table.to_pylist()
    for r in rows:
        r["payload"] = json.loads(r["payload"])
    return Traced(result, table, rows)


@pytest.fixture(scope="session", params=["liaocheng", "qingdao"])
def traced(request: pytest.FixtureRequest) -> Traced:
    """A week of a small district under Liaocheng's and under Qingdao's rules."""
    return traced_run(request.param)
