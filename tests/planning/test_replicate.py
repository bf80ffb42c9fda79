"""Replications give the same results inline, on local processes and on a Dask cluster."""

from __future__ import annotations

import json

import pytest

from sim.planning.experiment import Design, Results, Source, Variant, run_variants
from sim.planning.replicate import Outcome, Runner
from sim.planning.reporting import stability_lines, stability_text
from tests.planning.conftest import DISTRICT, SMALL


def _kpis(runner: Runner) -> str:
    source = Source(DISTRICT, SMALL)
    variants = [source.variant("base"),
                source.variant("county=2", ["staffing.centres.county=2"])]
    results = run_variants(runner, variants, Design((11, 12, 13), 2.0))
    # JSON text: NaN-safe equality of every number, in job order
    return json.dumps([[o.kpis for o in runs] for runs in results.outcomes], sort_keys=True)


@pytest.mark.slow
def test_local_processes_and_dask_agree() -> None:
    distributed = pytest.importorskip("dask.distributed")
    with Runner(processes=1, progress=False) as inline:
        expected = _kpis(inline)
    with Runner(processes=2, progress=False) as local:
        assert _kpis(local) == expected
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            Runner(dask=cluster.scheduler_address, progress=False) as remote:
        assert remote.describe().startswith("Dask cluster at tcp://")
        assert _kpis(remote) == expected


def test_seeds_are_shared_by_every_variant() -> None:
    base = Source(DISTRICT, SMALL).load()
    d = Design.of(base, 3, None)
    assert d.seeds == (base.meta.seed, base.meta.seed + 1, base.meta.seed + 2)
    assert d.days == base.meta.days


def _outcome(flags: list[tuple[str, str]], short: bool = False) -> Outcome:
    raised = [{"kind": k, "tier": t, "message": f"{t} overloaded"} for k, t in flags]
    return Outcome({"stability": {"judged": True, "flags": raised},
                    "warmup": {"short": short, "suggested_days": 9.5 if short else 0.0}})


def test_planning_reports_name_the_flags_their_runs_raised() -> None:
    base = Source(DISTRICT, SMALL).load()
    results = Results(
        [Variant("starved", base), Variant("staffed", base)], Design((1, 2, 3), 5.0),
        [[_outcome([("backlog_growth", "department")]), _outcome([]),
          _outcome([("backlog_growth", "department"), ("offered_load", "centre.county")],
                   short=True)],
         [_outcome([]), _outcome([]), _outcome([])]])
    assert stability_lines(results) == [
        "starved: department overloaded (2 of 3 runs)",
        "starved: centre.county overloaded (1 of 3 runs)",
        "MSER-5 suggested a longer warm-up than the runs had in 1 of them (up to 9.5 days)."]
    assert stability_lines(results, [1]) == []
    assert stability_text(results, [1]).startswith("No run flagged")
    assert stability_text(results).startswith("⚠ starved: department overloaded")
