"""Benchmark of the reference case platform on loopback.

Starts `gridsim platform serve` in a subprocess on 127.0.0.1 (a temporary SQLite file unless
--db is given), seeds a small synthetic directory, then drives a bounded mixed workload with
httpx async clients: each client reports cases and walks them through the lifecycle
(accept → escalate → dispatch → handle → feedback → verify → close), with a detail read in
between. Stops at --duration seconds or --max-requests, whichever comes first, and prints
one JSON line: ops/s, p50/p99/max latency, status counts, and the server's CPU time per
request (which, unlike ops/s, hardly depends on what else the machine is running).

    python bench/platform_bench.py --duration 10 --clients 16
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

HOST = "127.0.0.1"  # loopback only, by design
DEADLINE = "2030-01-01T00:00:00Z"


def small_directory(grids: int = 8) -> dict[str, Any]:
    """City → county → 2 townships → grids, a county department, and one user per unit."""
    units: list[dict[str, Any]] = [
        {"code": "B-CITY", "name": "基准市", "tier": "city", "parent": None},
        {"code": "B-COUNTY", "name": "基准县", "tier": "county", "parent": "B-CITY"},
        {"code": "B-POLICE", "name": "县公安局", "tier": "department", "parent": "B-COUNTY"},
    ]
    users: list[dict[str, Any]] = [
        {"id": "city", "name": "市中心", "role": "city_staff", "unit": "B-CITY"},
        {"id": "county", "name": "县中心", "role": "county_staff", "unit": "B-COUNTY"},
        {"id": "police", "name": "民警", "role": "department_handler", "unit": "B-POLICE"},
    ]
    for t in range(2):
        township = f"B-T{t}"
        units.append({"code": township, "name": f"镇{t}", "tier": "township", "parent": "B-COUNTY"})
        users.append(
            {"id": f"town{t}", "name": f"镇{t}", "role": "township_staff", "unit": township}
        )
    for g in range(grids):
        code = f"3799{g % 2:03d}001{g:011d}"
        units.append({"code": code, "name": f"网格{g}", "tier": "grid", "parent": f"B-T{g % 2}"})
        users.append(
            {
                "id": f"w{g}",
                "name": f"网格员{g}",
                "role": "grid_worker",
                "unit": code,
                "grids": [code],
            }
        )
    return {"units": units, "users": users}


@dataclass
class Stats:
    """Latencies (seconds) and status counts, shared by all clients."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    stop_at: float = 0.0
    budget: int = 0

    def more(self) -> bool:
        return len(self.latencies) < self.budget and time.perf_counter() < self.stop_at


async def call(
    client: httpx.AsyncClient,
    stats: Stats,
    method: str,
    path: str,
    token: str,
    body: dict[str, Any] | None = None,
) -> httpx.Response:
    """One timed request."""
    start = time.perf_counter()
    r = await client.request(method, path, json=body, headers={"Authorization": f"Bearer {token}"})
    stats.latencies.append(time.perf_counter() - start)
    stats.statuses[r.status_code] += 1
    return r


async def lifecycle_client(
    n: int, base: str, tokens: dict[str, str], directory: dict[str, Any], stats: Stats
) -> None:
    """Walk cases through their lifecycle until the run's budget is spent."""
    grid_users = [u for u in directory["users"] if u["role"] == "grid_worker"]
    worker = grid_users[n % len(grid_users)]
    grid = worker["grids"][0]
    township = next(u["parent"] for u in directory["units"] if u["code"] == grid)
    town_user = next(u["id"] for u in directory["users"] if u["unit"] == township)
    w, t, d = tokens[worker["id"]], tokens[town_user], tokens["police"]
    run = time.strftime("%Y%m%d%H%M%S")  # external ids stay unique when a database is reused
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        i = 0
        while stats.more():
            i += 1
            r = await call(
                client,
                stats,
                "POST",
                "/api/cases",
                w,
                {
                    "type": "city.litter",
                    "grid": grid,
                    "external_id": f"bench-{run}-{n}-{i}",
                    "description": "基准测试",
                },
            )
            if r.status_code != 201:
                continue
            path = f"/api/cases/{r.json()['id']}"
            steps: list[tuple[str, str, str, dict[str, Any] | None]] = [
                ("POST", f"{path}/accept", w, {}),
                ("POST", f"{path}/escalate", w, {"deadline": DEADLINE}),
                ("GET", path, t, None),
                ("POST", f"{path}/dispatch", t, {"department": "B-POLICE", "deadline": DEADLINE}),
                ("POST", f"{path}/handle", d, {"result": "已处置"}),
                ("POST", f"{path}/feedback", d, {"result": "已反馈"}),
                ("POST", f"{path}/verify", t, {"passed": True}),
                ("POST", f"{path}/close", t, {}),
            ]
            for method, p, token, body in steps:
                if not stats.more():
                    break
                await call(client, stats, method, p, token, body)


def free_port() -> int:
    """An unused loopback TCP port."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def start_server(db_url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    """`gridsim platform serve` in a subprocess; waits for /health."""
    cmd = [
        sys.executable,
        "-c",
        "from loadtest.platform.cli import app; app()",
        "serve",
        "--db",
        db_url,
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    proc = subprocess.Popen(cmd)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://{HOST}:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not become healthy within 30 s")


def server_cpu(pid: int) -> float:
    """CPU seconds used so far by the server process and its workers."""
    proc = psutil.Process(pid)
    total = 0.0
    for p in (proc, *proc.children(recursive=True)):
        times = p.cpu_times()
        total += times.user + times.system
    return total


def seed(db_url: str, directory: dict[str, Any], workdir: Path) -> dict[str, str]:
    """Seed through the CLI; returns the token map."""
    dir_path, tokens_path = workdir / "directory.json", workdir / "tokens.json"
    dir_path.write_text(json.dumps(directory, ensure_ascii=False))
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from loadtest.platform.cli import app; app()",
            "seed",
            str(dir_path),
            "--db",
            db_url,
            "--tokens",
            str(tokens_path),
        ],
        check=True,
    )
    tokens: dict[str, str] = json.loads(tokens_path.read_text())
    return tokens


async def drive(
    base: str,
    tokens: dict[str, str],
    directory: dict[str, Any],
    clients: int,
    duration: float,
    max_requests: int,
) -> tuple[Stats, float]:
    """Run the clients; returns the stats and the elapsed wall time."""
    stats = Stats(budget=max_requests)
    start = time.perf_counter()
    stats.stop_at = start + duration
    await asyncio.gather(
        *(lifecycle_client(n, base, tokens, directory, stats) for n in range(clients))
    )
    return stats, time.perf_counter() - start


def report(stats: Stats, elapsed: float) -> dict[str, Any]:
    """Throughput and latency percentiles."""
    lat = sorted(stats.latencies)
    q = statistics.quantiles(lat, n=100, method="inclusive") if len(lat) >= 2 else lat * 99
    return {
        "requests": len(lat),
        "seconds": round(elapsed, 2),
        "ops_per_s": round(len(lat) / elapsed, 1),
        "p50_ms": round(q[49] * 1000, 2),
        "p99_ms": round(q[98] * 1000, 2),
        "max_ms": round(lat[-1] * 1000, 2) if lat else None,
        "statuses": dict(sorted(stats.statuses.items())),
    }


def main() -> None:
    """Parse arguments, run one bounded benchmark, print the result as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load (max 120)")
    parser.add_argument("--max-requests", type=int, default=100_000, help="request budget")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument("--db", default=None, help="database URL (default: a temp SQLite file)")
    args = parser.parse_args()
    duration = min(args.duration, 120.0)  # bounded, whatever is asked

    with tempfile.TemporaryDirectory(prefix="gridsim-bench-") as tmp:
        workdir = Path(tmp)
        db_url = args.db or f"sqlite:///{workdir / 'bench.db'}"
        directory = small_directory()
        tokens = seed(db_url, directory, workdir)
        port = free_port()
        server = start_server(db_url, port, args.workers)
        cpu_before = server_cpu(server.pid)
        try:
            stats, elapsed = asyncio.run(
                drive(
                    f"http://{HOST}:{port}",
                    tokens,
                    directory,
                    args.clients,
                    duration,
                    args.max_requests,
                )
            )
            cpu = server_cpu(server.pid) - cpu_before
        finally:
            server.terminate()
            server.wait(timeout=30)
    result = {
        "db": "sqlite" if db_url.startswith("sqlite") else db_url.split(":", 1)[0],
        "workers": args.workers,
        "clients": args.clients,
        "cpus": os.cpu_count(),
        **report(stats, elapsed),
        # Server CPU per request: comparable across runs even when the machine is busy.
        "server_cpu_ms_per_request": round(cpu * 1000 / max(len(stats.latencies), 1), 3),
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
