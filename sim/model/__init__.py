"""The discrete-event model (SimPy): teams, patrols, cases, centres, departments, deadlines."""

from sim.model.engine import Model

__all__ = ["Model"]
