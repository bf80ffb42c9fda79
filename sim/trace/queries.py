"""Residents asking about their case (``resident.query``), added at export from the case table.

The model need not know: a query changes nothing in the case's life, so drawing them afterwards
from a random stream of their own gives the same trace as emitting them during the run, and
leaves the model's own random numbers untouched.
"""

from __future__ import annotations

import numpy as np

from sim.model.arrivals.poisson import SOURCES
from sim.model.engine import Model

QUERY_SHARE = 0.3  # assumed: share of resident/hotline cases whose reporter asks once
ASKING_SOURCES = ("resident", "hotline")  # reporters who know they have a case to ask about


def resident_queries(m: Model, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``(t_hours, case)`` of each query: one for :data:`QUERY_SHARE` of the cases reported by
    residents or through the hotline, at a uniform time between the report and the close (or
    the end of the run), in case order."""
    c = m.cases
    asking = np.isin(c.entry_source, [SOURCES.index(s) for s in ASKING_SOURCES])
    cases = np.flatnonzero(np.isfinite(c.reported) & asking)
    cases = cases[rng.random(cases.size) < QUERY_SHARE]
    start = c.reported[cases]
    end = np.where(np.isfinite(c.closed[cases]), c.closed[cases], m.horizon)
    return start + rng.random(cases.size) * (end - start), cases
