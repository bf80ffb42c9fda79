"""The run switches the cyclic garbage collector off; that is safe only if it makes no
reference cycles, with tracing off or on (anything cyclic would pile up for the whole run)."""

from __future__ import annotations

import gc

import pytest

from sim.model import Model
from sim.world import generate_world
from tests.model.conftest import small_scenario


@pytest.mark.parametrize("trace", [False, True])
def test_a_run_leaves_no_cyclic_garbage(trace: bool) -> None:
    s = small_scenario("liaocheng")  # explanations and supervision: the deadline watches fire
    model = Model(s, generate_world(s), days=10, seed=3, trace=trace)
    gc.collect()
    model.run()
    assert model.cases.closed[model.cases.closed == model.cases.closed].size > 100
    assert model.cases.overdue.any()
    assert gc.collect() == 0
    assert gc.isenabled()
