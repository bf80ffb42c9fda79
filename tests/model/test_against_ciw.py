"""Against Ciw, a simulation library we did not write (server schedules, priority classes and
networks, itself tested against theory): gridsim set up the same way agrees on mean waits.

Each comparison runs both simulators over independent replications and checks that the 99%
confidence interval of the difference of their mean waits contains 0 (Welch), and where
theory has the answer, that it lies in both simulators' intervals.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import ciw
import numpy as np
import simpy
from scipy import stats

from sim.model import Model
from sim.model.arrivals.poisson import URGENCIES
from sim.model.clock import ALWAYS
from sim.model.resource import Pool, Roster
from sim.theory import erlang_c, mmc_mean_wait
from sim.world import generate_world
from tests.model.conftest import mmc_scenario

REPS = 8
LEVEL = 0.99


def _interval(x: np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    half = stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size)
    return x.mean() - half, x.mean() + half


def _agree(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether the Welch interval of mean(a) - mean(b) contains 0."""
    ci = stats.ttest_ind(a, b, equal_var=False).confidence_interval(LEVEL)
    return ci.low <= 0 <= ci.high


def _window(arrived: np.ndarray, hours: float) -> np.ndarray:
    """Jobs arriving after a warm-up (5%) and long enough before the end to have started."""
    return (arrived >= 0.05 * hours) & (arrived <= 0.9 * hours)


def _gridsim_waits(s: Any, days: float, by: Callable[[Model], np.ndarray] | None = None
                   ) -> list[np.ndarray]:
    """Per replication: mean wait to the start of work of the jobs in the window, per group
    (``by`` gives each job's group, 0 if None)."""
    world = generate_world(s)
    out = []
    for rep in range(REPS):
        m = Model(s, world, days, seed=2000 + rep)
        m.run()
        c = m.cases
        keep = _window(c.reported, m.horizon)
        assert np.isfinite(c.first_start[keep]).all()
        group = np.zeros(c.n, np.int64) if by is None else by(m)
        wait = c.first_start - c.reported
        out.append(np.array([wait[keep & (group == k)].mean() for k in range(group.max() + 1)]))
    return out


def _ciw_waits(network: ciw.Network, hours: float, groups: int = 1,
               group_of: Callable[[Any], int] = lambda r: 0) -> list[np.ndarray]:
    """Per replication: mean wait to the first start of service, per group of records."""
    out = []
    for rep in range(REPS):
        ciw.seed(3000 + rep)
        q = ciw.Simulation(network)
        q.simulate_until_max_time(hours)
        first: dict[tuple[int, int], tuple[float, float, int]] = {}
        for r in q.get_all_records():
            if r.record_type not in ("service", "interrupted service"):
                continue
            key = (r.id_number, r.node)
            start = r.service_start_date
            if key not in first or start < first[key][1]:
                first[key] = (r.arrival_date, start, group_of(r))
        waits: list[list[float]] = [[] for _ in range(groups)]
        for arrived, start, g in first.values():
            if _window(np.array([arrived]), hours)[0]:
                waits[g].append(start - arrived)
        out.append(np.array([np.mean(w) for w in waits]))
    return out


def test_shifts_match_ciw_server_schedules(tmp_path: Path) -> None:
    """Two servers on shift 00:00–12:00 every day, off the rest; work in progress at the
    shift's end resumes at the next (Ciw's ``preemption="resume"``)."""
    lam, mu, days = 1.5, 2.0, 60
    ours = np.array(_gridsim_waits(mmc_scenario(tmp_path, 2, lam, mu, hours_per_day=12),
                                   days))[:, 0]
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=lam)],
        service_distributions=[ciw.dists.Exponential(rate=mu)],
        number_of_servers=[ciw.Schedule(numbers_of_servers=[2, 0],
                                        shift_end_dates=[12.0, 24.0], preemption="resume")])
    theirs = np.array(_ciw_waits(network, days * 24.0))[:, 0]
    assert ours.mean() > 3.0  # half the arrivals wait for the next shift: hours, not minutes
    assert _agree(ours, theirs), (_interval(ours), _interval(theirs))


def _priority_waits(lam: float, share: float, mu: float, c: int) -> tuple[float, float]:
    """Mean waits of the urgent and the routine class of an M/M/c queue with non-preemptive
    priority and one service rate (Cobham's formula with Erlang C)."""
    base = erlang_c(c, lam / mu) / (c * mu)
    s1 = share * lam / (c * mu)
    s2 = lam / (c * mu)
    return base / (1 - s1), base / ((1 - s1) * (1 - s2))


def test_priority_classes_match_ciw_and_theory(tmp_path: Path) -> None:
    """Two non-preemptive priority classes on three servers round the clock."""
    lam, share, mu, c, days = 5.0, 0.3, 2.0, 3, 60
    urgent = URGENCIES.index("urgent")
    ours = np.array(_gridsim_waits(
        mmc_scenario(tmp_path, c, lam, mu, urgent_share=share), days,
        by=lambda m: (m.arrivals.urgency != urgent).astype(np.int64)))
    network = ciw.create_network(
        arrival_distributions={"urgent": [ciw.dists.Exponential(rate=share * lam)],
                               "routine": [ciw.dists.Exponential(rate=(1 - share) * lam)]},
        service_distributions={"urgent": [ciw.dists.Exponential(rate=mu)],
                               "routine": [ciw.dists.Exponential(rate=mu)]},
        priority_classes={"urgent": 0, "routine": 1},
        number_of_servers=[c])
    theirs = np.array(_ciw_waits(network, days * 24.0, 2,
                                 lambda r: 0 if r.customer_class == "urgent" else 1))
    theory = _priority_waits(lam, share, mu, c)
    assert theory[1] > 2 * theory[0]  # the classes really differ here
    for k, name in enumerate(("urgent", "routine")):
        assert _agree(ours[:, k], theirs[:, k]), (name, _interval(ours[:, k]),
                                                  _interval(theirs[:, k]))
        for waits in (ours[:, k], theirs[:, k]):
            lo, hi = _interval(waits)
            assert lo <= theory[k] <= hi, (name, lo, theory[k], hi)


# three pools in a network: (servers, service rate), external arrivals at the first, routing
NODES = ((2, 3.0), (1, 2.0), (1, 2.5))
ROUTING = ((0.0, 0.4, 0.3), (0.0, 0.0, 0.5), (0.0, 0.0, 0.0))
LAMBDA = 2.0


def _gridsim_network(hours: float, seed: int) -> np.ndarray:
    """gridsim's pools on SimPy, jobs routed between them with ROUTING's probabilities:
    mean wait per pool of the jobs arriving in the window."""
    env = simpy.Environment()
    rng = np.random.default_rng(seed)
    pools = [Pool(env, f"node{k}", "grid", "full_time", k, [Roster(c, ALWAYS)])
             for k, (c, _) in enumerate(NODES)]
    waits: list[list[float]] = [[] for _ in NODES]

    def job() -> Generator[Any, Any, None]:
        node = 0
        while True:
            arrived = env.now
            start = yield pools[node].request(rng.exponential(1 / NODES[node][1]), 2, "case")
            if _window(np.array([arrived]), hours)[0]:
                waits[node].append(start - arrived)
            p = np.asarray(ROUTING[node])
            nxt = rng.choice(len(NODES) + 1, p=[*p, 1 - p.sum()])
            if nxt == len(NODES):
                return
            node = nxt

    def source() -> Generator[Any, Any, None]:
        while True:
            yield env.timeout(rng.exponential(1 / LAMBDA))
            env.process(job())

    env.process(source())
    env.run(until=hours)
    return np.array([np.mean(w) for w in waits])


def test_a_network_matches_ciw_and_jackson() -> None:
    """Three nodes with routing probabilities (an open Jackson network: each node is an
    M/M/c queue at its total arrival rate)."""
    hours = 3000.0
    ours = np.array([_gridsim_network(hours, 4000 + rep) for rep in range(REPS)])
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=LAMBDA), None, None],
        service_distributions=[ciw.dists.Exponential(rate=mu) for _, mu in NODES],
        number_of_servers=[c for c, _ in NODES],
        routing=[list(row) for row in ROUTING])
    theirs = np.array(_ciw_waits(network, hours, 3, lambda r: r.node - 1))
    # total arrival rates solve λ = λ0 + λ·P
    rates = np.linalg.solve(np.eye(3) - np.array(ROUTING).T, [LAMBDA, 0.0, 0.0])
    for k, (c, mu) in enumerate(NODES):
        theory = mmc_mean_wait(rates[k], mu, c)
        assert _agree(ours[:, k], theirs[:, k]), (k, _interval(ours[:, k]),
                                                  _interval(theirs[:, k]))
        for waits in (ours[:, k], theirs[:, k]):
            lo, hi = _interval(waits)
            assert lo <= theory <= hi, (k, lo, theory, hi)
