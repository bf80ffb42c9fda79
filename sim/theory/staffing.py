"""First-cut staffing: the least number of servers meeting a service target.

These are the square-root-staffing-era planning rules of thumb made exact for the model at
hand [GKM03 §4]: they size one pool in steady state with stationary Poisson demand. The
simulation refines them (tiers, shifts, deadlines); the theory gives the starting point and
the check.

References:
    [GKM03] N. Gans, G. Koole, A. Mandelbaum, "Telephone call centers: tutorial, review, and
        research prospects", *Manufacturing & Service Operations Management* 5(2):79–141, 2003.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from sim.theory._validate import non_negative, positive, probability_target
from sim.theory.erlang import mmc_mean_wait, mmc_service_level
from sim.theory.erlang_a import erlang_a


def _least_servers(meets: Callable[[int], bool], lowest: int) -> int:
    """Least ``c >= lowest`` with ``meets(c)``, for ``meets`` monotone in c.

    Gallops up from ``lowest`` (steps 1, 2, 4, …) then bisects, so the cost is logarithmic in
    the distance to the answer rather than linear; every measure used here is monotone in c
    and reaches any feasible target as c grows, so the gallop terminates.
    """
    if meets(lowest):
        return lowest
    failing, step = lowest, 1
    while not meets(lowest + step):
        failing, step = lowest + step, step * 2
    meeting = lowest + step
    while meeting - failing > 1:
        middle = (failing + meeting) // 2
        if meets(middle):
            meeting = middle
        else:
            failing = middle
    return meeting


def _least_stable_servers(lam: float, mu: float) -> int:
    """Least c with c > a = λ/μ, i.e. the least staffing for which the M/M/c queue is stable."""
    return math.floor(lam / mu) + 1


def min_servers_for_service_level(lam: float, mu: float, t: float, target: float) -> int:
    """Least c > λ/μ with ``P(Wq <= t) >= target`` in the M/M/c (Erlang C) queue.

    Uses :func:`sim.theory.erlang.mmc_service_level`, which increases with c [GKM03 §4.1].

    Raises:
        ValueError: if λ <= 0, μ <= 0, t < 0 or target is not strictly between 0 and 1.
    """
    lam, mu = positive("arrival rate lam", lam), positive("service rate mu", mu)
    t = non_negative("waiting-time threshold t", t)
    target = probability_target("service-level target", target)
    return _least_servers(
        lambda c: mmc_service_level(lam, mu, c, t) >= target, _least_stable_servers(lam, mu)
    )


def min_servers_for_mean_wait(lam: float, mu: float, max_wait: float) -> int:
    """Least c > λ/μ with mean wait in queue ``Wq <= max_wait`` in the M/M/c queue.

    Raises:
        ValueError: if λ <= 0, μ <= 0 or max_wait <= 0 (Wq is positive for any finite c).
    """
    lam, mu = positive("arrival rate lam", lam), positive("service rate mu", mu)
    max_wait = positive("mean-wait target max_wait", max_wait)
    return _least_servers(
        lambda c: mmc_mean_wait(lam, mu, c) <= max_wait, _least_stable_servers(lam, mu)
    )


def min_servers_erlang_a(lam: float, mu: float, theta: float, t: float, target: float) -> int:
    """Least c >= 1 answering a fraction ``target`` of arrivals within ``t`` in Erlang A.

    The service level is :attr:`sim.theory.erlang_a.ErlangAResult.service_level`, which counts
    abandonments as failures. Abandonment keeps the queue stable at any staffing, so unlike
    Erlang C there is no c > λ/μ floor. The answer can exceed Erlang C's when t is long
    relative to the patience 1/θ, because every abandonment is a miss.

    Raises:
        ValueError: if λ, μ or θ <= 0, t < 0 or target is not strictly between 0 and 1.
    """
    lam, mu = positive("arrival rate lam", lam), positive("service rate mu", mu)
    theta = positive("abandonment rate theta", theta)
    t = non_negative("waiting-time threshold t", t)
    target = probability_target("service-level target", target)
    return _least_servers(lambda c: erlang_a(lam, mu, c, theta, t).service_level >= target, 1)
