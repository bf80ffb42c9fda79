"""gridsim's simulation model: scenarios, the synthetic world, the discrete-event model."""

__version__ = "0.1.0"
