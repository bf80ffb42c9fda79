"""The synthetic world: hierarchy, grids, households and workers as numpy columns."""

from sim.world.generate import generate_world
from sim.world.tables import World

__all__ = ["World", "generate_world"]
