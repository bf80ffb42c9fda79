"""Case arrival processes: vectorised non-homogeneous Poisson per grid and type."""

from sim.model.arrivals.poisson import Arrivals, draw_arrivals

__all__ = ["Arrivals", "draw_arrivals"]
