"""A single-tier configuration is an M/M/c queue: it must agree with Erlang C and Little's law."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from sim.model import Model
from sim.theory import erlang_c, mmc_mean_wait
from sim.world import generate_world
from tests.model.conftest import mmc_scenario

REPS = 8
WARMUP = 0.05
COOLDOWN = 0.1


def _replicate(s, days: float) -> tuple[np.ndarray, np.ndarray, list[Model]]:
    world = generate_world(s)
    waits, p_wait, models = [], [], []
    for rep in range(REPS):
        m = Model(s, world, days, seed=1000 + rep)
        m.run()
        c = m.cases
        # jobs arriving after a warm-up and long enough before the end to have started
        t = c.reported
        done = np.flatnonzero((t >= WARMUP * m.horizon) & (t <= (1 - COOLDOWN) * m.horizon))
        assert np.isfinite(c.first_start[done]).all()
        w = c.first_start[done] - c.reported[done]
        waits.append(w.mean())
        p_wait.append(np.mean(w > 1e-12))
        models.append(m)
    return np.array(waits), np.array(p_wait), models


def _ci(x: np.ndarray) -> tuple[float, float]:
    half = stats.t.ppf(0.975, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size)
    return x.mean() - half, x.mean() + half


@pytest.mark.parametrize(("servers", "rho", "days"), [
    (1, 0.5, 150), (1, 0.9, 500), (3, 0.7, 120), (3, 0.9, 150), (8, 0.95, 60),
])
def test_mmc_agrees_with_erlang_c(tmp_path: Path, servers: int, rho: float, days: float) -> None:
    mu = 2.0  # jobs per hour per server
    lam = rho * servers * mu
    s = mmc_scenario(tmp_path, servers, lam, mu)
    waits, p_wait, models = _replicate(s, days)
    lo, hi = _ci(waits)
    assert lo <= mmc_mean_wait(lam, mu, servers) <= hi, (lo, mmc_mean_wait(lam, mu, servers), hi)
    lo, hi = _ci(p_wait)
    assert lo <= erlang_c(servers, lam / mu) <= hi, (lo, erlang_c(servers, lam / mu), hi)
    # the arrival process is the one asked for
    n = np.array([len(m.arrivals) for m in models])
    assert abs(n.mean() / (lam * days * 24) - 1) < 0.02


@pytest.mark.parametrize("warmup", [0.0, 19.5])  # 4 jobs queued at 19.5 days
def test_littles_law_on_the_worker_queue(tmp_path: Path, warmup: float) -> None:
    """L = λW on the sample path over the measured window, exactly: after a warm-up the jobs
    still queued count as arriving at its end and wait from then."""
    s = mmc_scenario(tmp_path, 2, 3.6, 2.0)  # ρ = 0.9: a queue is there at the warm-up's end
    m = Model(s, generate_world(s), 200, seed=5, warmup=warmup)
    m.run()
    assert m.window_start == warmup * 24
    t = m.horizon - m.window_start
    jobs = np.isfinite(m.cases.reported) & (m.cases.reported >= m.window_start)
    busy = [p for p in m.all_pools() if p.arrived]
    assert busy
    for pool in busy:
        st = pool.stats(m.horizon)
        # every job that came in the window started or is still queued
        assert st.arrived == st.waited + st.queued_at_end
        w = (st.wait_sum + st.censored_wait) / st.arrived
        assert st.area_queue / t == pytest.approx(st.arrived / t * w, rel=1e-9)
        carried = st.arrived - int(jobs.sum())  # queued at the warm-up's end
        assert carried >= 0 and (carried > 0) == (warmup > 0)
        # the window's working hours, not the whole run's
        assert st.available == pytest.approx(st.capacity * t)
