"""Benchmark of the Locust replay (gridsim loadtest's engine) on loopback.

Starts a minimal keep-alive HTTP endpoint on 127.0.0.1 in a subprocess (asyncio, one fixed
201 answer: fast enough that the load generator, not the endpoint, is the limit), then, in the
same run and against the same endpoint, each with one Locust worker process (plus its master):

1. raw: a plain Locust ``FastHttpUser`` posting the same kind of request (JSON body,
   Authorization and Idempotency-Key headers) in a closed loop, ``--connections`` users;
2. replay, as fast as it goes: a trace of independent operations (door visits) all due at
   once, so the replay's open-loop engine is limited only by itself (``--connections`` in
   flight) — its operations/s against raw's is the throughput ratio (aim ≥ 0.8);
3. replay of case lifecycles as fast as it goes (five chained steps per case): the same with
   per-case ordering and id capture in play;
4. replay at ``--rate`` operations/s (Poisson arrivals, 1× speed), for the send-lag
   percentiles (actual send − scheduled time; aim p99 ≤ 10 ms at 1,000/s).

Prints one JSON object (and a short table on stderr).

    python bench/replay_bench.py --seconds 10 --rate 1000 --connections 64
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from loadtest.replay.options import Settings
from loadtest.replay.runner import free_port, read_results, run

ANSWER = (
    b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n"
    b'{"id":17}'
)
GRID = "3700000000000000001"
WORKER = ("grid_worker", "W0000001", GRID)
BODY = {"grid": GRID, "kind": "elderly_alone", "household": "H12345", "notes": "走访",
        "at": "2024-01-01T08:00:00+08:00"}
PROFILE = """
name = "bench"
[defaults]
headers = { Authorization = "Bearer {token}", Idempotency-Key = "{idempotency_key}" }
[ops."visit.record"]
method = "POST"
path = "/api/visits"
[ops."visit.record".body]
grid = "{grid}"
kind = "{payload.kind}"
household = "{payload.household}"
notes = "{payload.notes}"
at = "{at}"
[ops."case.report"]
method = "POST"
path = "/api/cases"
body = { external_id = "{case}", grid = "{grid}", at = "{at}" }
capture = { case = "$.id" }
[ops."case.accept"]
method = "POST"
path = "/api/cases/{ids.case}/accept"
body = { at = "{at}" }
[ops."case.handle"]
method = "POST"
path = "/api/cases/{ids.case}/handle"
body = { at = "{at}", on_spot = true }
[ops."case.close"]
method = "POST"
path = "/api/cases/{ids.case}/close"
body = { at = "{at}" }
[ops."resident.query"]
method = "GET"
path = "/api/cases/{ids.case}"
"""
RAW_LOCUSTFILE = f"""
import json, time
from pathlib import Path
from locust import FastHttpUser, constant, events, task
from locust.runners import WorkerRunner

BODY = json.dumps({BODY!r}, ensure_ascii=False)
SEEN = {{"n": 0}}


class Raw(FastHttpUser):
    wait_time = constant(0)

    @task
    def post(self):
        self.client.post("/api/visits", data=BODY, name="raw", headers={{
            "Authorization": "Bearer token", "Idempotency-Key": "k",
            "Content-Type": "application/json"}})


@events.request.add_listener
def count(**_kw):
    if not SEEN["n"]:
        SEEN["cpu"], SEEN["wall"] = time.process_time(), time.time()
    SEEN["n"] += 1


@events.test_stopping.add_listener
def write(environment, **_kw):
    # the worker's own figures, from its first request to the stop
    if isinstance(environment.runner, WorkerRunner) and SEEN["n"]:
        Path(__file__).with_suffix(".json").write_text(json.dumps({{
            "requests": SEEN["n"], "cpu_s": time.process_time() - SEEN["cpu"],
            "wall_s": time.time() - SEEN["wall"]}}))
"""


class _Endpoint(asyncio.Protocol):
    """Answers every request on a keep-alive connection with ANSWER."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            length = 0
            for line in self.buffer[:end].split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            self.transport.write(ANSWER)


def serve(port: int) -> None:
    """Run the endpoint until killed."""

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(_Endpoint, "127.0.0.1", port)
        await server.serve_forever()

    asyncio.run(main())


def raw_locust(host: str, users: int, seconds: int, tmp: Path) -> dict[str, float]:
    """A plain FastHttpUser on one worker process: requests/s and requests per CPU-second."""
    locustfile = tmp / "raw_locustfile.py"
    locustfile.write_text(RAW_LOCUSTFILE)
    figures = locustfile.with_suffix(".json")
    figures.unlink(missing_ok=True)
    port = free_port()
    out = subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "--processes", "1",
         "--host", host, "-u", str(users), "-r", str(users), "-t", f"{seconds}s",
         "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
         "--master-port", str(port), "--only-summary", "--loglevel", "WARNING"],
        capture_output=True, text=True, check=False,
    )
    if not figures.is_file():
        raise RuntimeError(out.stderr[-2000:])
    f = json.loads(figures.read_text())
    return {"ops_per_s": f["requests"] / f["wall_s"], "ops_per_cpu_s": f["requests"] / f["cpu_s"]}


def _replay(trace: Path, host: str, tmp: Path, connections: int, name: str) -> dict[str, Any]:
    profile = tmp / "bench.toml"
    profile.write_text(PROFILE)
    tokens = tmp / "tokens.json"
    tokens.write_text(json.dumps({WORKER[1]: "token"}))
    out = tmp / name
    settings = Settings(trace=str(trace), profile=str(profile), speedup=1.0, out=str(out),
                        tokens=str(tokens), connections=connections, report=False)
    code = run(settings, host, processes=1)
    results = read_results(out)
    if results is None:
        raise RuntimeError(f"replay failed ({code}); see {out / 'locust.log'}")
    return results


def _write(path: Path, rows: list[tuple[float, str, str | None, dict[str, Any]]]) -> Path:
    """A JSONL trace (design.md's trace contract) of (t, op, case, payload) rows."""
    role, actor, unit = WORKER
    with path.open("w", encoding="utf-8") as f:
        for seq, (t, op, case, payload) in enumerate(rows):
            f.write(json.dumps({"seq": seq, "t": t, "op": op, "actor": {"role": role,
                    "id": actor, "unit": unit}, "case": case, "grid": GRID, "payload": payload},
                    ensure_ascii=False) + "\n")
    return path


def visits(path: Path, times: np.ndarray) -> Path:
    """Independent operations at ``times``."""
    return _write(path, [(float(t), "visit.record", None, BODY) for t in times])


def cases(path: Path, n: int) -> Path:
    """``n`` cases of five chained steps, all due at once."""
    steps = ("case.report", "case.accept", "resident.query", "case.handle", "case.close")
    return _write(path, [(0.0, op, f"C{i:08d}", {}) for i in range(n) for op in steps])


def _row(results: dict[str, Any]) -> dict[str, Any]:
    total = results["ops"]["all"]
    (shard,) = results["shards"]
    return {
        "ops": total["counts"]["ok"],
        "failed": total["counts"]["failed"],
        "ops_per_s": results["meta"]["throughput_ops_s"],
        "ops_per_cpu_s": round(total["counts"]["sent"] / shard["cpu_s"], 1),
        "worker_cpu_busy": results["meta"]["worker_cpu_busy"],
        "lag_ms": {k: total["lag"][k] for k in ("p50", "p90", "p99", "p999", "max")},
        "latency_from_scheduled_ms": {k: total["sched"][k] for k in ("p50", "p99")},
        "latency_from_send_ms": {k: total["send"][k] for k in ("p50", "p99")},
        "late": total["counts"]["late"],
    }


def _median(rows: list[dict[str, Any]], key: str) -> float:
    return round(float(np.median([r[key] for r in rows])), 1)


def _wait_for(port: int) -> None:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError("the endpoint did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of each measurement")
    parser.add_argument("--rate", type=int, default=1000, help="ops/s for the lag measurement")
    parser.add_argument("--connections", type=int, default=64,
                        help="raw users, and the replay's operations in flight")
    parser.add_argument("--repeat", type=int, default=3,
                        help="rounds of raw, flat and case-lane runs, interleaved (medians kept)")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)  # the endpoint itself
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    port = free_port()
    host = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)])
    raw: list[dict[str, float]] = []
    flat: list[dict[str, Any]] = []
    lanes: list[dict[str, Any]] = []
    try:
        _wait_for(port)
        with tempfile.TemporaryDirectory() as d:
            tmp = Path(d)
            for _round in range(args.repeat):
                raw.append(raw_locust(host, args.connections, args.seconds, tmp))
                # enough operations to keep the replay busy for about as long as raw ran
                n = int(raw[-1]["ops_per_s"] * args.seconds)
                flat.append(_row(_replay(visits(tmp / "flat.jsonl", np.zeros(n)), host, tmp,
                                         args.connections, "flat")))
                lanes.append(_row(_replay(cases(tmp / "cases.jsonl", n // 5), host, tmp,
                                          args.connections, "cases")))
            rng = np.random.default_rng(1)
            arrivals = np.cumsum(rng.exponential(1 / args.rate, args.rate * args.seconds))
            paced = _row(_replay(visits(tmp / "paced.jsonl", arrivals), host, tmp,
                                 args.connections, "paced"))
    finally:
        server.kill()
        server.wait()
    medians = {
        name: {"ops_per_s": _median(rows, "ops_per_s"),
               "ops_per_cpu_s": _median(rows, "ops_per_cpu_s")}
        for name, rows in (("raw", raw), ("flat", flat), ("cases", lanes))
    }
    ratio = {
        f"{name}_{key}": round(medians[name][key] / medians["raw"][key], 3)
        for name in ("flat", "cases") for key in ("ops_per_s", "ops_per_cpu_s")
    }
    result = {
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "connections": args.connections,
        "medians": medians,
        "ratio_to_raw": ratio,
        "raw_fasthttpuser": raw,
        "replay_flat": flat,
        "replay_cases": lanes,
        f"replay_at_{args.rate}_per_s": paced,
    }
    print(json.dumps(result, ensure_ascii=False, indent=1))
    print(
        f"per worker process, medians of {args.repeat}: raw FastHttpUser "
        f"{medians['raw']['ops_per_s']:,.0f} req/s ({medians['raw']['ops_per_cpu_s']:,.0f} per "
        f"CPU-s); replay {medians['flat']['ops_per_s']:,.0f} ops/s flat "
        f"(×{ratio['flat_ops_per_s']}; per CPU-s ×{ratio['flat_ops_per_cpu_s']}), "
        f"{medians['cases']['ops_per_s']:,.0f} in case lanes (×{ratio['cases_ops_per_s']}; "
        f"per CPU-s ×{ratio['cases_ops_per_cpu_s']}); at {args.rate}/s send lag p50/p99/max "
        f"{paced['lag_ms']['p50']}/{paced['lag_ms']['p99']}/{paced['lag_ms']['max']} ms "
        f"(worker busy {paced['worker_cpu_busy']:.0%})",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
