"""Locust entry point: open-loop replay of a gridsim trace against a case platform.

    locust -f loadtest/locustfile.py --host http://127.0.0.1:8000 \\
        --replay-trace trace.parquet --replay-profile reference --replay-speedup 60 \\
        --replay-tokens tokens.json

opens Locust's web UI; press Start (the load shape runs one replay user per worker, so there
is no user count to choose). Add ``--headless`` to run without it, ``--processes N`` for N
local worker processes, or run ``--master`` here and ``--worker --master-host HOST`` on other
machines (each needs the trace and tokens files at the same paths). The ``--replay-*`` options
are listed in loadtest/replay/options.py (and fill the web UI's start form); results, report
and CSVs go to ``--replay-out``. ``gridsim loadtest`` runs all of this headless with one
command. See loadtest/replay/__init__.py.
"""

from locust import events

from loadtest.replay.coordinator import ReplayShape, install
from loadtest.replay.user import ReplayUser

install(events)

__all__ = ["ReplayShape", "ReplayUser"]
