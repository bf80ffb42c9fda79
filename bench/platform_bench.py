"""Benchmark of the reference case platform on loopback.

Starts `gridsim platform serve` in a subprocess on 127.0.0.1 (a temporary SQLite file unless
--db is given), seeds a small synthetic directory, then drives a bounded mixed workload: each
client reports cases and walks them through the lifecycle (accept → escalate → dispatch →
handle → feedback → verify → close), with a detail read in between, one request at a time on
its own keep-alive connection. Stops at --duration seconds or --max-requests, whichever comes
first, and prints one JSON line: ops/s, p50/p99/max latency (each request timed from just
before it is sent until its whole response has been read), status counts, the server's and
the client's CPU time per request, the load average at the end, and the shares of the CPUs
that other processes and the hypervisor (steal) took during the run.

The client speaks just enough HTTP/1.1 itself, on uvloop where installed: it shares the cores
with the server, and httpx cost more CPU per request than the server it measured. Server CPU
per request is the figure to compare across runs: it varies much less than ops/s with what
else the machine runs, though it too rises (by a third or more) when the cores are contended.

Defaults: 2 server processes and 16 clients. On 2 cores with the client on the same machine
this gave the most operations/s at p99 <= 100 ms: one process tops out at one core; more
clients only lengthen the queue (closed loop: latency ≈ clients / throughput).

    python bench/platform_bench.py --duration 10
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
import urllib.request
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

import psutil

HOST = "127.0.0.1"  # loopback only, by design
DEADLINE = "2030-01-01T00:00:00Z"
T = TypeVar("T")


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
        """Whether the run's time and request budget allow another request."""
        return len(self.latencies) < self.budget and time.perf_counter() < self.stop_at


class HttpConnection(asyncio.Protocol):
    """One HTTP/1.1 keep-alive connection, one request at a time: just enough HTTP for the
    platform's answers (status line, headers, a Content-Length body)."""

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._waiter: asyncio.Future[tuple[int, bytes]] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport to write requests on."""
        # A stream transport (uvloop's does not subclass asyncio.Transport, so no isinstance).
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        """Buffer the answer; resolve the waiting request once its whole body is in."""
        self._buffer += data
        if self._waiter is None or self._waiter.done():
            return
        try:
            response = self._complete_response()
        except ConnectionError as exc:
            self._waiter.set_exception(exc)
            return
        if response is not None:
            self._waiter.set_result(response)

    def connection_lost(self, exc: Exception | None) -> None:
        """Fail the waiting request: the server closed the connection."""
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(exc or ConnectionError("server closed the connection"))

    def _complete_response(self) -> tuple[int, bytes] | None:
        """(status, body) if the buffer holds a whole response (which is then consumed)."""
        head_end = self._buffer.find(b"\r\n\r\n")
        if head_end < 0:
            return None
        head = bytes(self._buffer[:head_end]).lower()
        marker = head.find(b"\r\ncontent-length:")
        if marker < 0:  # the platform never streams; anything else is a protocol error here
            raise ConnectionError("response without Content-Length")
        value_end = head.find(b"\r\n", marker + 2)
        length = int(head[marker + 17 : value_end if value_end >= 0 else None])
        end = head_end + 4 + length
        if len(self._buffer) < end:
            return None
        body = bytes(self._buffer[head_end + 4 : end])
        del self._buffer[:end]
        return int(head[9:12]), body

    async def request(
        self, method: str, path: str, token: str, body: bytes | None
    ) -> tuple[int, bytes]:
        """Send one request and wait for its whole response: (status, body)."""
        assert self._transport is not None
        if self._transport.is_closing():
            raise ConnectionError("the server closed the connection")
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {HOST}",
            f"Authorization: Bearer {token}",
        ]
        if body is not None:
            lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        self._waiter = asyncio.get_running_loop().create_future()
        self._transport.write(("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b""))
        return await self._waiter


async def call(
    conn: HttpConnection,
    stats: Stats,
    method: str,
    path: str,
    token: str,
    body: dict[str, Any] | None = None,
) -> tuple[int, bytes]:
    """One request, timed from just before it is sent until its whole response is read."""
    payload = None if body is None else json.dumps(body).encode()
    start = time.perf_counter()
    status, answer = await conn.request(method, path, token, payload)
    stats.latencies.append(time.perf_counter() - start)
    stats.statuses[status] += 1
    return status, answer


async def lifecycle_client(
    n: int, port: int, tokens: dict[str, str], directory: dict[str, Any], stats: Stats
) -> None:
    """Walk cases through their lifecycle until the run's budget is spent.

    A connection the server drops is counted as status 0 (that request is not timed), and the
    client reconnects and starts a new case.
    """
    grid_users = [u for u in directory["users"] if u["role"] == "grid_worker"]
    worker = grid_users[n % len(grid_users)]
    grid = worker["grids"][0]
    township = next(u["parent"] for u in directory["units"] if u["code"] == grid)
    town_user = next(u["id"] for u in directory["users"] if u["unit"] == township)
    w, t, d = tokens[worker["id"]], tokens[town_user], tokens["police"]
    run = time.strftime("%Y%m%d%H%M%S")  # external ids stay unique when a database is reused
    loop = asyncio.get_running_loop()
    i = 0
    while stats.more():
        transport, conn = await loop.create_connection(HttpConnection, HOST, port)
        try:
            while stats.more():
                i += 1
                report = {
                    "type": "city.litter",
                    "grid": grid,
                    "external_id": f"bench-{run}-{n}-{i}",
                    "description": "基准测试",
                }
                status, answer = await call(conn, stats, "POST", "/api/cases", w, report)
                if status != 201:
                    continue
                path = f"/api/cases/{json.loads(answer)['id']}"
                steps: list[tuple[str, str, str, dict[str, Any] | None]] = [
                    ("POST", f"{path}/accept", w, {}),
                    ("POST", f"{path}/escalate", w, {"deadline": DEADLINE}),
                    ("GET", path, t, None),
                    (
                        "POST",
                        f"{path}/dispatch",
                        t,
                        {"department": "B-POLICE", "deadline": DEADLINE},
                    ),
                    ("POST", f"{path}/handle", d, {"result": "已处置"}),
                    ("POST", f"{path}/feedback", d, {"result": "已反馈"}),
                    ("POST", f"{path}/verify", t, {"passed": True}),
                    ("POST", f"{path}/close", t, {}),
                ]
                for method, p, token, body in steps:
                    if not stats.more():
                        break
                    await call(conn, stats, method, p, token, body)
        except OSError:  # ConnectionError and the like, from the transport
            stats.statuses[0] += 1
        finally:
            transport.close()


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
            with urllib.request.urlopen(f"http://{HOST}:{port}/health", timeout=1) as answer:
                if answer.status == 200:
                    return proc
        except OSError:  # refused while starting, or 503 (HTTPError is an OSError too)
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


def machine_share(before: Any, after: Any, ours: float) -> dict[str, float]:
    """What else used the machine's CPUs during the run, as shares of their capacity: other
    processes, and the hypervisor's steal (time this virtual machine wanted and did not get).
    They explain most of the spread in ops/s between runs."""
    # guest time is already counted in user time
    fields = [name for name in after._fields if not name.startswith("guest")]
    delta = {name: getattr(after, name) - getattr(before, name) for name in fields}
    total = sum(delta.values()) or 1.0
    busy = total - delta["idle"] - delta.get("iowait", 0.0) - delta.get("steal", 0.0)
    return {
        "others_cpu_share": round(max(busy - ours, 0.0) / total, 3),
        "steal_share": round(delta.get("steal", 0.0) / total, 3),
    }


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
    port: int,
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
        *(lifecycle_client(n, port, tokens, directory, stats) for n in range(clients))
    )
    return stats, time.perf_counter() - start


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run the clients on uvloop where it is installed (uvicorn[standard] brings it on Unix):
    the lighter the client, the more of the shared cores serve requests."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


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
    parser.add_argument("--workers", type=int, default=2, help="server processes")
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
        cpu_before, client_before = server_cpu(server.pid), time.process_time()
        machine_before = psutil.cpu_times()
        try:
            stats, elapsed = run_loop(
                drive(port, tokens, directory, args.clients, duration, args.max_requests)
            )
            cpu = server_cpu(server.pid) - cpu_before
            client_cpu = time.process_time() - client_before
            machine = machine_share(machine_before, psutil.cpu_times(), cpu + client_cpu)
        finally:
            server.terminate()
            server.wait(timeout=30)
    requests = max(len(stats.latencies), 1)
    result = {
        "db": "sqlite" if db_url.startswith("sqlite") else db_url.split(":", 1)[0],
        "workers": args.workers,
        "clients": args.clients,
        "cpus": os.cpu_count(),
        **report(stats, elapsed),
        # Server CPU per request: comparable across runs even when the machine is busy.
        "server_cpu_ms_per_request": round(cpu * 1000 / requests, 3),
        "client_cpu_ms_per_request": round(client_cpu * 1000 / requests, 3),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        **machine,
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
