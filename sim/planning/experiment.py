"""The replicate → summarise path every planner and researcher command shares.

A command builds :class:`Variant` s (the scenario with some keys changed), runs each with the
same replication seeds (common random numbers) through a :class:`~sim.planning.replicate.Runner`
and reads means and confidence intervals of :mod:`~sim.planning.measures` off the
:class:`Results`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from sim.config import Scenario, load_scenario
from sim.planning.measures import Measure, measures_for
from sim.planning.replicate import Job, Outcome, Probe, Runner, replication_seeds
from sim.planning.stats import Summary, summarise


@dataclass(frozen=True)
class Design:
    """How every variant is replicated: the same seeds and the same simulated days."""

    seeds: tuple[int, ...]
    days: float

    @classmethod
    def of(cls, scenario: Scenario, reps: int, days: float | None) -> Design:
        """``reps`` replications seeded from the scenario's seed, for ``days`` (default: the
        scenario's days)."""
        return cls(replication_seeds(scenario.meta.seed, reps),
                   scenario.meta.days if days is None else days)


@dataclass(frozen=True)
class Variant:
    """A scenario to replicate, and the settings that tell it apart from its siblings."""

    label: str
    scenario: Scenario
    settings: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Source:
    """Where the base scenario comes from — file, ``--set`` overrides, swapped rules — so
    variants can be loaded (and validated) from it with more overrides."""

    path: Path
    sets: tuple[str, ...] = ()
    rules: str | None = None

    @classmethod
    def of(cls, path: Path, sets: Sequence[str] | None, rules: str | None,
           seed: int | None) -> Source:
        """From the common CLI options (``--seed`` becomes ``scenario.seed``, as in
        ``gridsim run``)."""
        extra = [f"scenario.seed={seed}"] if seed is not None else []
        return cls(path, (*(sets or ()), *extra), rules)

    def load(self, sets: Sequence[str] = (), rules: str | None = None) -> Scenario:
        """The scenario with ``sets`` applied after the source's own (ScenarioError if bad)."""
        rules = rules or self.rules
        return load_scenario(self.path, sets=[*self.sets, *sets],
                             parts={"rules": rules} if rules else None)

    def variant(self, label: str, sets: Sequence[str] = (), rules: str | None = None,
                settings: Mapping[str, str] | None = None) -> Variant:
        """A labelled variant of the source."""
        return Variant(label, self.load(sets, rules), dict(settings or {}))


@dataclass
class Results:
    """Every variant's outcomes in seed order: one per seed of the design, or the first few
    seeds' where a search stopped replicating a variant early."""

    variants: list[Variant]
    design: Design
    outcomes: list[list[Outcome]]

    def values(self, variant: int, measure: Measure) -> list[float]:
        """The measure in each replication of ``variant`` (NaN where a run lacks it)."""
        return [measure.value(o.kpis) for o in self.outcomes[variant]]

    def summary(self, variant: int, measure: Measure) -> Summary:
        """Mean and 95 % t-interval of the measure over ``variant``'s replications; a rate's
        interval is clipped to [0, 1] (the t-interval knows no bounds, rates do)."""
        s = summarise(self.values(variant, measure))
        if measure.unit == "share":
            s = replace(s, lo=max(s.lo, 0.0), hi=min(s.hi, 1.0))
        return s

    def measures(self) -> list[Measure]:
        """The standard measures plus utilisation of every role seen in any run."""
        return measures_for(o.kpis for runs in self.outcomes for o in runs)


def run_variants(runner: Runner, variants: Sequence[Variant], design: Design,
                 probe: Probe | None = None, seeds: Sequence[int] | None = None) -> Results:
    """Run every variant once per seed (default: the design's) in one batch, so the workers
    stay busy."""
    seeds = design.seeds if seeds is None else tuple(seeds)
    jobs = [Job(v.scenario, seed, design.days, probe) for v in variants for seed in seeds]
    flat = runner.run(jobs)
    r = len(seeds)
    return Results(list(variants), design, [flat[i * r:(i + 1) * r] for i in range(len(variants))])
