"""Fixtures for the replay tests: a runner shortcut, and the reference platform served by
`gridsim platform serve` in a subprocess on a SQLite file, with a small directory and traces
whose lifecycles the platform accepts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from loadtest.platform.auth import DEFAULT_SECRET
from loadtest.platform.db import Database
from loadtest.platform.seed import DirectorySpec, seed
from loadtest.replay.options import Settings
from loadtest.replay.runner import free_port, read_results, run
from tests.loadtest.tracegen import Actor, TraceBuilder

HERE = Path(__file__).parent
FAKE_PROFILE = str(HERE / "fake.toml")
EPOCH = datetime.fromisoformat("2024-01-01T00:00:00+08:00")


def replay(trace: Path, host: str, out: Path, processes: int = 1, **options: Any
           ) -> tuple[int, dict[str, Any]]:
    """Run a headless replay (Locust master + ``processes`` workers); exit code and results."""
    options.setdefault("report", False)  # charts cost seconds; one test checks the report
    code = run(Settings(trace=str(trace), out=str(out), **options), host, processes)
    results = read_results(out)
    assert results is not None, (out / "locust.log").read_text()
    return code, results


def at(t: float) -> str:
    """Trace time as the payload's ISO timestamp."""
    return (EPOCH + timedelta(seconds=t)).isoformat()


# --- a small jurisdiction the reference platform is seeded with ---------------------------

CITY, COUNTY, TOWNSHIP, COMMUNITY = "370000000000", "370100000000", "370101001000", "370101001001"
GRIDS = ("3701010010011000001", "3701010010011000002")
POLICE = "370100-police"
W1: Actor = ("grid_worker", "W0000001", GRIDS[0])
W2: Actor = ("grid_worker", "W0000002", GRIDS[1])
TOWN: Actor = ("township_staff", "W0000003", TOWNSHIP)
COP: Actor = ("department_handler", "W0000004", POLICE)
RES: Actor = ("resident", "H1", GRIDS[0])  # residents have no account: see unit_token


def directory() -> DirectorySpec:
    units = [
        {"code": CITY, "name": "测试市", "tier": "city"},
        {"code": COUNTY, "name": "测试区", "tier": "county", "parent": CITY},
        {"code": POLICE, "name": "区公安分局", "tier": "department", "parent": COUNTY},
        {"code": TOWNSHIP, "name": "测试街道", "tier": "township", "parent": COUNTY},
        {"code": COMMUNITY, "name": "测试社区", "tier": "community", "parent": TOWNSHIP},
        *({"code": g, "name": f"第{i}网格", "tier": "grid", "parent": COMMUNITY}
          for i, g in enumerate(GRIDS, start=1)),
    ]
    users = [
        {"id": W1[1], "name": "网格员甲", "role": "grid_worker", "unit": GRIDS[0],
         "grids": [GRIDS[0]]},
        {"id": W2[1], "name": "网格员乙", "role": "grid_worker", "unit": GRIDS[1],
         "grids": [GRIDS[1]]},
        {"id": TOWN[1], "name": "街道中心", "role": "township_staff", "unit": TOWNSHIP},
        {"id": COP[1], "name": "民警", "role": "department_handler", "unit": POLICE},
        {"id": "R0000001", "name": "居民", "role": "resident", "unit": GRIDS[0],
         "grids": [GRIDS[0]]},
    ]
    return DirectorySpec.model_validate({"units": units, "users": users})


def add_case(b: TraceBuilder, n: int, t0: float, step: float) -> None:
    """One case the platform accepts end to end; its path depends on ``n`` (five kinds)."""
    case, g = f"C{n:08d}", GRIDS[0]
    t = iter(t0 + step * k for k in range(12))
    kind = n % 5
    reporter = {0: W1, 1: W1, 2: TOWN, 3: RES, 4: W1}[kind]
    b.add(next(t), "case.report", reporter, g, case, external_id=case, service_code="city.litter",
          description="楼下垃圾堆积", address="某路1号", lat=None, long=None,
          reporter={"name": "王五", "phone": "13800000000"}, urgency="routine",
          source={0: "patrol", 1: "patrol", 2: "hotline", 3: "resident", 4: "patrol"}[kind],
          at=at(t0))
    if kind == 3:
        b.add(next(t), "resident.query", RES, g, case, external_id=case)
    if kind == 2:  # the township takes a hotline case and sends it to the police
        b.add(next(t), "case.accept", TOWN, g, case, tier="township")
        _dispatch_and_close(b, t, case, g, rework=n % 10 == 7)
        return
    b.add(next(t), "case.accept", W1, g, case, tier="grid")
    if kind in (0, 3):  # 首接初办: the worker settles it on the spot
        b.add(next(t), "case.handle", W1, g, case, resolved=True, on_spot=True, result="已清理")
        b.add(next(t), "case.close", W1, g, case, tier="grid")
        return
    b.add(next(t), "case.handle", W1, g, case, resolved=False, on_spot=False)
    b.add(next(t), "case.escalate", W1, g, case, tier="township", deadline=at(t0 + 86400))
    if kind == 4:  # the township assigns it back down to the grid, and supervises it
        b.add(next(t), "case.assign_down", TOWN, g, case, tier="township", to_unit=g,
              deadline=at(t0 + 86400))
        b.add(next(t), "case.supervise", TOWN, g, case, level="yellow", note="请抓紧")
        b.add(next(t), "case.handle", W1, g, case, resolved=True, on_spot=False, result="已处理")
        b.add(next(t), "case.feedback", W1, g, case, result="已告知", satisfied=True)
        b.add(next(t), "case.verify", TOWN, g, case, passed=True, result="属实")
        b.add(next(t), "case.close", TOWN, g, case, tier="township")
        return
    _dispatch_and_close(b, t, case, g, rework=False)


def _dispatch_and_close(b: TraceBuilder, t: Iterator[float], case: str, g: str, rework: bool
                        ) -> None:
    b.add(next(t), "case.dispatch", TOWN, g, case, tier="township", to="dept:police@county",
          to_unit=POLICE, deadline=at(86400 * 2))
    b.add(next(t), "case.handle", COP, g, case, resolved=True, on_spot=False, result="已处理")
    b.add(next(t), "case.feedback", TOWN, g, case, result="已告知", satisfied=True)
    if rework:
        b.add(next(t), "case.verify", TOWN, g, case, passed=False, result="未解决")
        b.add(next(t), "case.handle", COP, g, case, resolved=True, on_spot=False, rework=True)
        b.add(next(t), "case.feedback", TOWN, g, case, result="已告知", satisfied=True)
    b.add(next(t), "case.verify", TOWN, g, case, passed=True, result="属实")
    b.add(next(t), "case.close", TOWN, g, case, tier="township")


def reference_trace(path: Path, cases: int, spacing: float, step: float,
                    patrols: int = 4, visits: int = 6) -> Path:
    """A trace of :func:`reference_ops`, written to ``path``."""
    b = TraceBuilder()
    reference_ops(b, cases, spacing, step, patrols, visits)
    return b.write(path)


def reference_ops(b: TraceBuilder, cases: int, spacing: float, step: float, patrols: int,
                  visits: int) -> None:
    """``cases`` lifecycles reported every ``spacing`` trace seconds, steps ``step`` apart,
    plus patrols and visits of the second grid."""
    for n in range(cases):
        add_case(b, n, n * spacing, step)
    for p in range(patrols):
        patrol, t0 = f"P{p + 1:08d}", p * spacing * 3
        b.add(t0, "patrol.start", W2, GRIDS[1], patrol=patrol, at=at(t0))
        b.add(t0 + step, "patrol.checkin", W2, GRIDS[1], patrol=patrol, lat=None, lon=None,
              location="某路", note="巡查正常", at=at(t0 + step))
        b.add(t0 + 2 * step, "patrol.end", W2, GRIDS[1], patrol=patrol, at=at(t0 + 2 * step))
    for v in range(visits):
        b.add(v * spacing * 2, "visit.record", W2, GRIDS[1], external_id=f"V{v + 1:08d}",
              household=f"H{v + 100}", kind="elderly_alone", notes="走访", at=at(v * spacing * 2))


# --- the reference platform in a subprocess --------------------------------------------------


class ServedPlatform:
    """`gridsim platform serve` on a SQLite file seeded with ``spec`` (default: the small
    directory above); restartable on the same port."""

    def __init__(self, tmp: Path, spec: DirectorySpec | None = None) -> None:
        self.db_path = tmp / "platform.db"
        self.url_db = f"sqlite:///{self.db_path}"
        db = Database(self.url_db)
        tokens = seed(db, spec or directory(), DEFAULT_SECRET)
        db.dispose()
        if spec is None:  # the grid's resident account, as unit_token
            tokens[GRIDS[0]] = tokens["R0000001"]
        self.tokens = tmp / "tokens.json"
        self.tokens.write_text(json.dumps(tokens))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (tmp / "platform.log").open("ab")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sim.cli", "platform", "serve", "--db", self.url_db,
             "--port", str(self.port)],
            stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "platform exited; see platform.log"
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise TimeoutError("platform did not come up")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush — what a crash looks like."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def cases(self) -> int:
        """Cases stored so far (read straight from the SQLite file)."""
        import sqlite3

        with sqlite3.connect(self.db_path) as conn:
            return int(conn.execute("select count(*) from cases").fetchone()[0])


@contextmanager
def served_platform(tmp: Path, spec: DirectorySpec | None = None) -> Iterator[ServedPlatform]:
    """A seeded platform, served while the block runs; always killed at the end."""
    served = ServedPlatform(tmp, spec)
    try:
        served.start()
        yield served
    finally:
        served.kill()
        served.log.close()


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[ServedPlatform]:
    """A seeded reference platform of its own, served; always killed at the end."""
    with served_platform(tmp_path) as served:
        yield served


@pytest.fixture(scope="module")
def shared_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedPlatform]:
    """One reference platform for a module's tests (starting one takes seconds); tests must
    use case ids of their own."""
    with served_platform(tmp_path_factory.mktemp("platform")) as served:
        yield served
