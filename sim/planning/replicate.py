"""Run many simulation jobs — (scenario, seed) pairs — on local processes or a Dask cluster.

Every job is self-contained: it carries the validated :class:`~sim.config.Scenario` (so a
remote Dask worker needs no scenario files, only gridsim installed) and the seed of its
replication. A job's result depends on nothing but the job, and results are returned in job
order whatever order they complete in, so local processes, a Dask cluster and a single inline
process give identical results for the same jobs.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import AbstractContextManager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, cast

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from sim.config import Scenario
from sim.runner import RunResult, simulate

Probe = Callable[[RunResult], Any]
"""Extracts extra data from a run inside the worker (must be a module-level function, so it
pickles by reference). Runs are too big to ship back whole; probes ship only what is needed."""


@dataclass(frozen=True)
class Job:
    """One simulation run: a scenario, the replication's seed and the days to simulate."""

    scenario: Scenario
    seed: int
    days: float
    probe: Probe | None = None


@dataclass(frozen=True)
class Outcome:
    """What a job returns: the run's KPI dict and its probe's data (None without one)."""

    kpis: dict[str, Any]
    extra: Any = None


def run_job(job: Job) -> Outcome:
    """Simulate one job (this is what runs in the worker processes)."""
    result = simulate(job.scenario, days=job.days, seed=job.seed)
    return Outcome(result.kpis, job.probe(result) if job.probe is not None else None)


def replication_seeds(base: int, reps: int) -> tuple[int, ...]:
    """The seeds of ``reps`` replications: ``base, base+1, …``.

    ``numpy.random.SeedSequence`` hashes its entropy, so consecutive integers give
    independent streams; every variant of an experiment reuses the same seeds (common random
    numbers), which is what makes paired comparisons between variants sharp.
    """
    return tuple(base + r for r in range(reps))


class Runner(AbstractContextManager["Runner"]):
    """Runs batches of jobs on local processes (default) or a Dask cluster, with one progress
    bar across every batch of the command.

    Use as a context manager: the process pool or Dask client lives for the whole command, so
    a sizing search pays the start-up once however many batches it submits.
    """

    def __init__(self, processes: int | None = None, dask: str | None = None,
                 console: Console | None = None, progress: bool = True) -> None:
        if processes is not None and processes < 1:
            raise ValueError("processes must be >= 1")
        self.processes = processes or os.cpu_count() or 1
        self.dask = dask
        self._console = console or Console(stderr=True)
        self._show = progress
        self._pool: ProcessPoolExecutor | None = None
        self._client: Any = None
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self.runs = 0

    def describe(self) -> str:
        """Where the jobs run, for reports."""
        if self.dask:
            return f"Dask cluster at {self.dask}"
        return f"{self.processes} local process{'es' if self.processes > 1 else ''}"

    def __enter__(self) -> Runner:
        if self.dask:
            from dask.distributed import Client  # imported only when a cluster is asked for

            try:
                self._client = Client(self.dask, timeout="10s")
            except OSError as exc:
                raise ConnectionError(f"cannot reach the Dask scheduler at {self.dask}: "
                                      f"{exc}") from None
        elif self.processes > 1:
            # forkserver: workers fork from a clean server that preloaded gridsim, so start-up
            # is fast and no parent thread (progress bar, Dask client) is forked mid-state.
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["sim.planning.replicate"])
            self._pool = ProcessPoolExecutor(self.processes, mp_context=ctx)
        self._bar = Progress(
            TextColumn("[bold]simulating[/]"), BarColumn(), MofNCompleteColumn(),
            TextColumn("runs"), TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
            console=self._console, transient=True, disable=not self._show)
        self._bar.start()
        self._task = self._bar.add_task("runs", total=0)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        if self._client is not None:
            self._client.close()

    def run(self, jobs: Sequence[Job]) -> list[Outcome]:
        """Run ``jobs`` and return their outcomes in job order."""
        assert self._bar is not None and self._task is not None, "use Runner as a context"
        self._bar.update(self._task, total=self.runs + len(jobs))
        out: list[Outcome | None] = [None] * len(jobs)
        for index, outcome in self._completed(jobs):
            out[index] = outcome
            self.runs += 1
            self._bar.update(self._task, completed=self.runs)
        return cast(list[Outcome], out)

    def _completed(self, jobs: Sequence[Job]) -> Iterator[tuple[int, Outcome]]:
        """(index, outcome) pairs in completion order."""
        if self._client is not None:
            from dask.distributed import as_completed as dask_completed

            futures = {self._client.submit(run_job, job, pure=False): i
                       for i, job in enumerate(jobs)}
            for future in dask_completed(futures):
                yield futures[future], future.result()
        elif self._pool is not None:
            local: dict[Future[Outcome], int] = {self._pool.submit(run_job, job): i
                                                 for i, job in enumerate(jobs)}
            for future in as_completed(local):
                yield local[future], future.result()
        else:
            for i, job in enumerate(jobs):
                yield i, run_job(job)
