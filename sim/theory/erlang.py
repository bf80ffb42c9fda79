"""Erlang B, Erlang C, the M/M/c and M/M/1 queues, and Little's law.

Notation throughout: arrivals are Poisson with rate ``lam`` (λ), service times are exponential
with rate ``mu`` (μ) per server, ``c`` servers work in parallel, and ``a = λ/μ`` is the offered
load in Erlangs. Rates and times may be in any unit as long as they agree (e.g. per hour and
hours). The queue is first come, first served and infinite; waiting customers never leave
(for impatient customers see :mod:`sim.theory.erlang_a`).

When the queue is unstable (λ ≥ cμ) there is no steady state: the probability of waiting is
taken as 1, mean waits and queue lengths as ``math.inf`` and service levels as 0, so that
staffing sweeps can include under-staffed points without special-casing them.

References:
    [GSTH] D. Gross, J. F. Shortle, J. M. Thompson, C. M. Harris, *Fundamentals of Queueing
        Theory*, 4th ed., Wiley, 2008, §2.2 (M/M/1), §2.3 (M/M/c), §2.5 (M/M/c/c).
    [K75] L. Kleinrock, *Queueing Systems, Vol. 1: Theory*, Wiley, 1975, §3.2, §3.5, §3.7.
    [J74] D. L. Jagerman, "Some properties of the Erlang loss function", *Bell System
        Technical Journal* 53(3):525–551, 1974 (the recursion used by :func:`erlang_b`).
    [L61] J. D. C. Little, "A proof for the queuing formula L = λW", *Operations Research*
        9(3):383–387, 1961.
"""

from __future__ import annotations

import math

from sim.theory._validate import non_negative, positive, servers


def erlang_b(c: int, a: float) -> float:
    """Blocking probability of the M/M/c/c loss system (Erlang's first formula).

    ``B(c, a) = (a^c / c!) / Σ_{k=0}^{c} a^k / k!``, computed with the recursion
    ``B(0, a) = 1``, ``B(k, a) = a·B(k−1, a) / (k + a·B(k−1, a))`` [J74], [GSTH §2.5]. Every step
    is a ratio of quantities in (0, k + a], so nothing overflows even for c in the hundreds of
    thousands, unlike the factorial form.

    Args:
        c: number of servers, an integer >= 0.
        a: offered load λ/μ in Erlangs, > 0.

    Returns:
        The probability that an arrival finds all ``c`` servers busy (and is lost).
    """
    c = servers("c", c, minimum=0)
    a = positive("offered load a", a)
    blocking = 1.0
    for k in range(1, c + 1):
        blocking = a * blocking / (k + a * blocking)
    return blocking


def erlang_c(c: int, a: float) -> float:
    """Probability that an arrival has to wait in the M/M/c queue (Erlang's second formula).

    ``C(c, a) = c·B(c, a) / (c − a·(1 − B(c, a)))`` for ``a < c`` [GSTH §2.3], [K75 §3.5],
    which equals the textbook ``(a^c / c!)·c/(c−a) / (Σ_{k<c} a^k/k! + (a^c/c!)·c/(c−a))`` but
    inherits the stability of :func:`erlang_b`. For ``a >= c`` the queue is unstable and
    every arrival waits, so 1.0 is returned.

    Args:
        c: number of servers, an integer >= 1.
        a: offered load λ/μ in Erlangs, > 0.
    """
    c = servers("c", c, minimum=1)
    a = positive("offered load a", a)
    if a >= c:
        return 1.0
    blocking = erlang_b(c, a)
    return c * blocking / (c - a * (1.0 - blocking))


def mmc_mean_wait(lam: float, mu: float, c: int) -> float:
    """Mean time in queue ``Wq = C(c, a) / (cμ − λ)`` of the M/M/c queue [GSTH §2.3].

    Averaged over all arrivals, including those served at once; ``math.inf`` if λ >= cμ.
    """
    lam, mu = positive("arrival rate lam", lam), positive("service rate mu", mu)
    c = servers("c", c, minimum=1)
    if lam >= c * mu:
        return math.inf
    return erlang_c(c, lam / mu) / (c * mu - lam)


def mmc_mean_sojourn(lam: float, mu: float, c: int) -> float:
    """Mean time in system ``W = Wq + 1/μ`` of the M/M/c queue [GSTH §2.3]."""
    return mmc_mean_wait(lam, mu, c) + 1.0 / positive("service rate mu", mu)


def mmc_mean_queue_length(lam: float, mu: float, c: int) -> float:
    """Mean number waiting ``Lq = λ·Wq = C(c, a)·ρ/(1 − ρ)``, ρ = λ/(cμ) [GSTH §2.3], [L61]."""
    return little_l(lam, mmc_mean_wait(lam, mu, c))


def mmc_service_level(lam: float, mu: float, c: int, t: float) -> float:
    """Probability that the wait in queue is at most ``t`` in the M/M/c queue.

    ``P(Wq <= t) = 1 − C(c, a)·exp(−(cμ − λ)·t)`` [GSTH §2.3], [K75 §3.5]: an arrival waits
    with probability C, and a waiting arrival's wait is exponential with rate cμ − λ.
    Returns 0.0 if λ >= cμ.
    """
    lam, mu = positive("arrival rate lam", lam), positive("service rate mu", mu)
    c = servers("c", c, minimum=1)
    t = non_negative("waiting-time threshold t", t)
    if lam >= c * mu:
        return 0.0
    return 1.0 - erlang_c(c, lam / mu) * math.exp(-(c * mu - lam) * t)


def mm1_mean_wait(lam: float, mu: float) -> float:
    """Mean time in queue of the M/M/1 queue, ``Wq = ρ/(μ − λ)``, ρ = λ/μ [GSTH §2.2].

    The c = 1 case of :func:`mmc_mean_wait` (there C(1, ρ) = ρ).
    """
    return mmc_mean_wait(lam, mu, 1)


def mm1_mean_sojourn(lam: float, mu: float) -> float:
    """Mean time in system of the M/M/1 queue, ``W = 1/(μ − λ)`` [GSTH §2.2]."""
    return mmc_mean_sojourn(lam, mu, 1)


def mm1_mean_queue_length(lam: float, mu: float) -> float:
    """Mean number waiting in the M/M/1 queue, ``Lq = ρ²/(1 − ρ)`` [GSTH §2.2]."""
    return mmc_mean_queue_length(lam, mu, 1)


def mm1_service_level(lam: float, mu: float, t: float) -> float:
    """``P(Wq <= t) = 1 − ρ·exp(−(μ − λ)·t)`` for the M/M/1 queue [GSTH §2.2]."""
    return mmc_service_level(lam, mu, 1, t)


def little_l(lam: float, w: float) -> float:
    """Little's law ``L = λ·W`` [L61]: mean number present from throughput and mean time.

    Holds for any stationary system (queue, servers or both), whatever the distributions;
    ``w = math.inf`` gives ``math.inf``.
    """
    lam = positive("arrival rate lam", lam)
    if math.isinf(w) and w > 0:
        return math.inf
    return lam * non_negative("mean time w", w)
