"""Queueing theory for checking the simulation and sizing staff: Erlang B/C/A, M/M/c, Little.

Pure functions of rates and counts. The simulation's single-tier special cases must agree
with these within their confidence intervals (see the design's "correct before fast").
"""

from sim.theory.erlang import (
    erlang_b,
    erlang_c,
    little_l,
    mm1_mean_queue_length,
    mm1_mean_sojourn,
    mm1_mean_wait,
    mm1_service_level,
    mmc_mean_queue_length,
    mmc_mean_sojourn,
    mmc_mean_wait,
    mmc_service_level,
)
from sim.theory.erlang_a import ErlangAResult, erlang_a
from sim.theory.staffing import (
    min_servers_erlang_a,
    min_servers_for_mean_wait,
    min_servers_for_service_level,
)

__all__ = [
    "ErlangAResult",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "little_l",
    "min_servers_erlang_a",
    "min_servers_for_mean_wait",
    "min_servers_for_service_level",
    "mm1_mean_queue_length",
    "mm1_mean_sojourn",
    "mm1_mean_wait",
    "mm1_service_level",
    "mmc_mean_queue_length",
    "mmc_mean_sojourn",
    "mmc_mean_wait",
    "mmc_service_level",
]
