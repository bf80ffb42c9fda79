"""Case arrivals: problems at households and exclusive units, drawn day by day with every
per-case random number (see docs/arrivals.md)."""

from sim.model.arrivals.draws import Draws, patrol_effort
from sim.model.arrivals.locations import Locations, locate
from sim.model.arrivals.poisson import Arrivals, draw_arrivals

__all__ = ["Arrivals", "Draws", "Locations", "draw_arrivals", "locate", "patrol_effort"]
