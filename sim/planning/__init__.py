"""Planner and researcher tools: replicated runs on local processes or Dask, statistics under
common random numbers, staffing sizing, tightest deadlines, jurisdiction comparison, sweeps.

The shared path is :mod:`~sim.planning.experiment` (variants × seeds → results) and
:mod:`~sim.planning.reporting` (report metadata and tables); the commands live in
``sim/cli/{size,deadlines,compare,sweep}.py``.
"""
