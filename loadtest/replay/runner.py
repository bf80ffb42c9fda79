"""Run a replay headless: Locust's own CLI, master plus ``--processes N`` workers, in a
subprocess whose output goes to ``OUT/locust.log``.

Everything that matters happens inside Locust (see ``coordinator``); this module only builds the
command line, keeps the master's RPC port off the network, and reads the results. It does not
import Locust, which monkey-patches whatever process imports it.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from loadtest.replay.options import RESULTS_FILE, Settings

LOCUSTFILE = Path(__file__).resolve().parents[1] / "locustfile.py"
LOG = "locust.log"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def locust_argv(settings: Settings, host: str, processes: int, port: int) -> list[str]:
    """The ``locust`` command line for a headless run of ``settings`` against ``host``."""
    return [
        sys.executable,
        "-m",
        "locust",
        "--locustfile",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        host,
        "--processes",
        str(processes),
        # the master's RPC socket: loopback only, and a free port so that runs can overlap
        "--master-bind-host",
        "127.0.0.1",
        "--master-bind-port",
        str(port),
        "--master-port",
        str(port),
        "--only-summary",
        *settings.to_argv(),
    ]


def run(settings: Settings, host: str, processes: int) -> int:
    """Run Locust to completion; its exit code (0 passed, 1 failed, 2 usage error)."""
    out = Path(settings.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / RESULTS_FILE).unlink(missing_ok=True)  # never report a previous run's results
    with (out / LOG).open("w", encoding="utf-8") as log:
        completed = subprocess.run(
            locust_argv(settings, host, processes, free_port()),
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )
    return completed.returncode


def read_results(out: Path) -> dict[str, Any] | None:
    """The results a run wrote into ``out``, if it got that far."""
    path = out / RESULTS_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
