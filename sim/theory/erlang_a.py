"""Erlang A: the M/M/c+M queue, where waiting customers abandon after an exponential patience.

Model (Palm's queue): Poisson arrivals at rate λ, ``c`` servers with exponential service at
rate μ, and each waiting customer independently abandons at rate θ (mean patience 1/θ). The
number in system N is a birth–death process with birth rate λ and death rate
``min(n, c)·μ + max(n − c, 0)·θ`` in state n, whose stationary distribution is

    π_n ∝ a^n / n!                                   for n <= c,  a = λ/μ
    π_n ∝ π_c · Π_{j=1}^{n−c} λ / (cμ + jθ)           for n > c

[GMR02 §2], [MZ07 §2]. It exists for every load because the abandonment rate grows without
bound. We sum it in log space up to a state N chosen so that the geometric bound on the
neglected tail, ``π_N · r/(1 − r)`` with ``r = λ/(cμ + (N + 1 − c)θ) < 1``, is below 1e-18 of
the largest term; N doubles until that holds (a few hundred states in practice).

By PASTA an arrival sees the stationary distribution, which gives the measures below. A
customer who finds k others waiting (state c + k) is answered only if the k ahead of them
and they themselves all move up before their own patience runs out. While j customers are
ahead the next move happens at rate cμ + jθ and their own abandonment at rate θ; by the
memoryless property the holding times do not depend on which event ends them, so

    P(answered within t | k waiting) = cμ/(cμ + (k+1)θ) · P(Σ_{i=1}^{k+1} E_i <= t),

with independent ``E_i ~ Exp(cμ + iθ)``. That sum has the law of the (k+1)-th order statistic
of ``cμ/θ + k + 1`` exponential(θ) variables [R53], whose distribution function is the
regularized incomplete beta ``I_p(k + 1, cμ/θ + 1)``, ``p = 1 − e^{−θt}`` (valid for
non-integer cμ/θ as well, by analytic continuation of the binomial identity).

References:
    [GMR02] O. Garnett, A. Mandelbaum, M. Reiman, "Designing a call center with impatient
        customers", *Manufacturing & Service Operations Management* 4(3):208–227, 2002.
    [MZ07] A. Mandelbaum, S. Zeltyn, "Service engineering in action: the Palm/Erlang-A queue,
        with applications to call centers", in *Advances in Services Innovations*, Springer,
        2007, pp. 17–45.
    [R53] A. Rényi, "On the theory of order statistics", *Acta Mathematica Academiae
        Scientiarum Hungaricae* 4:191–231, 1953.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import betainc, gammaln

from sim.theory._validate import non_negative, positive, servers

# Relative size (in natural log) below which the neglected tail of π is ignored: e^-41 ≈ 1.6e-18.
_LOG_TAIL_TOLERANCE = -41.0
# The truncation doubles from here; the cap only trips for θ so small relative to an
# overload that the distribution is effectively that of an unstable queue.
_INITIAL_QUEUE_STATES = 64
_MAX_QUEUE_STATES = 1 << 20


@dataclass(frozen=True)
class ErlangAResult:
    """Steady-state measures of the M/M/c+M queue.

    Attributes:
        p_wait: probability that an arrival finds all servers busy, ``P(N >= c)``.
        p_abandon: fraction of arrivals who abandon, ``θ·Lq/λ``.
        mean_wait: mean time in queue over all arrivals (those served at once count 0, those
            who abandon count the time until they leave), ``Lq/λ`` by Little's law.
        mean_queue_length: mean number waiting, ``Lq = E[(N − c)+]``.
        service_level: probability that an arrival is answered within ``t``; customers who
            abandon count as failures, whenever they leave.
    """

    p_wait: float
    p_abandon: float
    mean_wait: float
    mean_queue_length: float
    service_level: float


def _log_weights(lam: float, mu: float, c: int, theta: float) -> np.ndarray:
    """Unnormalised log π_n for n = 0..N, with N large enough that the tail is negligible."""
    a = lam / mu
    n = np.arange(c + 1)
    head = n * math.log(a) - gammaln(n + 1)
    queue_states = _INITIAL_QUEUE_STATES
    while True:
        k = np.arange(1, queue_states + 1)
        tail = head[-1] + np.cumsum(math.log(lam) - np.log(c * mu + k * theta))
        ratio = lam / (c * mu + (queue_states + 1) * theta)
        if ratio < 1:
            log_bound = tail[-1] + math.log(ratio / (1 - ratio))
            if log_bound < max(head.max(), tail.max()) + _LOG_TAIL_TOLERANCE:
                return np.concatenate([head, tail])
        if queue_states >= _MAX_QUEUE_STATES:
            raise ValueError(
                f"patience rate theta={theta!r} is too small for this load to truncate the "
                "Erlang A distribution; use erlang_c for (nearly) infinitely patient customers"
            )
        queue_states *= 2


def erlang_a(lam: float, mu: float, c: int, theta: float, t: float = 0.0) -> ErlangAResult:
    """Steady-state measures of the Erlang A (M/M/c+M) queue; see the module docstring.

    Args:
        lam: arrival rate λ > 0.
        mu: service rate μ > 0 per server.
        c: number of servers, an integer >= 1.
        theta: abandonment rate θ > 0 of a waiting customer (1/mean patience). As θ → 0 the
            measures tend to Erlang C's (for λ < cμ); as θ → ∞ ``p_wait`` and ``p_abandon``
            tend to Erlang B's blocking probability.
        t: waiting-time threshold >= 0 for ``service_level``, in the unit of 1/λ.
    """
    lam, mu = positive("arrival rate lam", lam), positive("service rate mu", mu)
    c = servers("c", c, minimum=1)
    theta = positive("abandonment rate theta", theta)
    t = non_negative("waiting-time threshold t", t)

    log_w = _log_weights(lam, mu, c, theta)
    weights = np.exp(log_w - log_w.max())
    pi = weights / weights.sum()
    waiting = pi[c:]  # states c + k, k = 0, 1, ...: all servers busy, k in queue
    k = np.arange(waiting.size)

    mean_queue_length = float(k @ waiting)
    # For an arrival finding k waiting (module docstring): P(not abandoning before reaching
    # a server) times P(reaching it within t); expm1 keeps p = 1 − e^{−θt} exact for small θt.
    outlasts_queue = c * mu / (c * mu + (k + 1) * theta)
    reaches_server_by_t = betainc(k + 1, c * mu / theta + 1, -math.expm1(-theta * t))
    return ErlangAResult(
        p_wait=float(waiting.sum()),
        p_abandon=theta * mean_queue_length / lam,
        mean_wait=mean_queue_length / lam,
        mean_queue_length=mean_queue_length,
        service_level=float(pi[:c].sum() + (outlasts_queue * reaches_server_by_t) @ waiting),
    )
