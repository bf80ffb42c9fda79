"""The master's side of a replay, the load shape that drives it, and the Locust event wiring.

The master (or the single process of a local run) runs one :class:`Coordinator`:

1. :class:`ReplayShape` asks Locust for exactly one :class:`~loadtest.replay.user.ReplayUser`
   per worker, so every shard has one driver;
2. each worker's user says HELLO; once all have, the coordinator ASSIGNs shard ``i`` of ``n``
   (workers sorted by id);
3. each worker loads its shard and says READY; once all have, the coordinator says GO with a
   common start time a little ahead;
4. each worker says DONE with its final measurements and reconciliation; once all have, the
   coordinator merges them, writes results, report and CSVs, sets the exit code, and the shape
   ends the test.

Meanwhile workers' HDR deltas arrive with Locust's stats reports (``hdr.attach_*``).
In a local run (no ``--processes``/``--worker``) Locust delivers the same messages in-process.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from locust import LoadTestShape
from locust.env import Environment
from locust.event import Events
from locust.rpc import Message
from locust.runners import STATE_MISSING, LocalRunner, MasterRunner, WorkerRunner

from loadtest.replay import reconcile as reconciliation
from loadtest.replay.checks import parse_checks
from loadtest.replay.hdr import ALL, OUTCOMES, Aggregate, attach_master, attach_worker
from loadtest.replay.options import HDR_FILE, RESULTS_FILE, Settings, add_arguments, check_host
from loadtest.replay.user import (
    ASSIGN,
    DONE,
    GO,
    HELLO,
    READY,
    START_LEAD,
    STOP,
    engine_for,
    new_engine,
)

logger = logging.getLogger("gridsim.replay")

SETUP_TIMEOUT = 600.0  # seconds for every worker to load its shard
RECONCILE_ALLOWANCE = 300.0  # after the hard stop, for workers to read their cases back
EXIT_PASSED, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
SATURATED = 0.9  # a worker busier than this while sending cannot vouch for its own timing
SHARD_FIELDS = ("shard", "pid", "rows", "started", "finished", "cpu_s")


class Coordinator:
    """Shard assignment, start, and the final results of one test run."""

    def __init__(self, environment: Environment) -> None:
        self.environment = environment
        self.start()
        self.running = False  # until Locust's test_start calls start() for a run of its own

    def workers(self) -> int:
        """How many workers there are to give a shard each."""
        runner = self.environment.runner
        return runner.worker_count if isinstance(runner, MasterRunner) else 1

    def start(self) -> None:
        """Begin a test run (on test_start), forgetting any earlier one: read the settings,
        which the web UI may have changed, and count the workers."""
        self.settings: Settings | None = None
        self.problems: list[str] = []
        self.usage_error = False
        options = self.environment.parsed_options
        try:
            check_host(self.environment.host)
            self.settings = Settings.from_options(options) if options else None
            parse_checks(self.settings.check if self.settings else "")
        except ValueError as exc:  # CheckError included
            self.settings = None
            self._usage(str(exc))
        self.aggregate = Aggregate()
        self.expected = self.workers()
        self.hello: dict[str, int] = {}
        self.shard: dict[str, int] = {}
        self.ready: dict[str, dict[str, Any]] = {}
        self.done: dict[str, dict[str, Any]] = {}
        self.began = time.monotonic()
        self.go_epoch: float | None = None
        self.finished = False
        self.running = True  # until the tick that ends the run

    def _usage(self, message: str) -> None:
        self.problems.append(message)
        self.usage_error = True

    # --- the load shape -----------------------------------------------------------------------

    def tick(self) -> tuple[int, float] | None:
        """One user per worker until every shard is done (or the run has to give up)."""
        if not self.running:
            # Locust ticks once before it fires test_start (which starts this coordinator).
            n = self.workers()
            if n == 0:
                logger.error("replay: no workers connected")
                return None
            return n, float(n)
        if not self.finished:
            if self.settings is None:
                self.finish("setup error")
            elif len(self.done) >= self.expected:
                self.finish("completed")
            elif (why := self._give_up()) is not None:
                self.problems.append(why)
                self.finish("gave up")
        if self.finished:  # here, or by a message handler since the last tick
            self.running = False
            return None
        return self.expected, float(self.expected)

    def _give_up(self) -> str | None:
        """Why waiting any longer is pointless, if it is."""
        assert self.settings is not None
        now = time.monotonic()
        if self.go_epoch is None and now - self.began > SETUP_TIMEOUT:
            return f"workers not ready after {SETUP_TIMEOUT:.0f} s"
        if self.go_epoch is not None and self.settings.max_duration is not None:
            limit = self.settings.max_duration + self.settings.drain + RECONCILE_ALLOWANCE
            if time.time() - self.go_epoch > limit:
                return f"workers not done {limit:.0f} s after the start"
        runner = self.environment.runner
        if isinstance(runner, MasterRunner):
            gone = [
                cid
                for cid in self.shard
                if cid not in self.done
                and (runner.clients.get(cid) is None or runner.clients[cid].state == STATE_MISSING)
            ]
            if gone:
                return f"lost worker(s) of shard {sorted(self.shard[c] for c in gone)}"
        return None

    # --- messages from workers ----------------------------------------------------------------

    def _send(self, kind: str, data: dict[str, Any], client_id: str | None = None) -> None:
        runner = self.environment.runner
        assert runner is not None
        runner.send_message(kind, data, client_id)

    def on_hello(self, environment: Environment, msg: Message, **_kw: Any) -> None:
        """A worker's user started: once all have, give each a shard."""
        self.hello[msg.node_id] = msg.data["pid"]
        if len(self.hello) == self.expected and not self.shard:
            for index, client_id in enumerate(sorted(self.hello)):
                self.shard[client_id] = index
            for client_id, index in self.shard.items():
                self._send(ASSIGN, {"shard": index, "shards": self.expected}, client_id)
            logger.info("replay: %d shard(s) assigned", self.expected)

    def on_ready(self, environment: Environment, msg: Message, **_kw: Any) -> None:
        """A worker loaded its shard: once all have, start everyone at the same moment."""
        if "error" in msg.data:
            self._usage(f"shard {self.shard.get(msg.node_id)}: {msg.data['error']}")
            self.finish("setup error")
            return
        self.ready[msg.node_id] = msg.data
        if len(self.ready) == self.expected and self.go_epoch is None:
            self.go_epoch = time.time() + START_LEAD
            self._send(GO, {"start": self.go_epoch})
            logger.info("replay: shards loaded, starting")

    def on_done(self, environment: Environment, msg: Message, **_kw: Any) -> None:
        """A worker finished: keep its results (its last delta comes with them)."""
        self.aggregate.merge(msg.data["delta"])
        self.done[msg.node_id] = msg.data
        if "error" in msg.data:
            self.problems.append(f"shard {msg.data['shard']}: {msg.data['error']}")
        logger.info(
            "replay: shard %s done (%d of %d)", msg.data["shard"], len(self.done), self.expected
        )

    # --- the end ------------------------------------------------------------------------------

    def results(self, reason: str) -> dict[str, Any]:
        """Everything known about the run, as written to results.json."""
        summary = self.aggregate.summary()
        shards = sorted(
            ({k: d[k] for k in SHARD_FIELDS} for d in self.done.values()),
            key=lambda d: d["shard"],
        )
        sending = (
            max(d["finished"] for d in shards) - min(d["started"] for d in shards) if shards else 0
        )
        busy_s = sum(d["finished"] - d["started"] for d in shards)
        busy = sum(d["cpu_s"] for d in shards) / busy_s if busy_s > 0 else None
        sent = summary["ops"][ALL]["counts"]["sent"] if ALL in summary["ops"] else 0
        warnings = []
        if busy is not None and busy > SATURATED:
            warnings.append(
                f"the workers were busy {busy:.0%} of the time while sending: the load generator, "
                "not only the platform, may have set the pace (add --processes)"
            )
        return {
            "meta": {
                **self._settings_meta(),
                "host": self.environment.host,
                "workers": self.expected,
                "started_at": datetime.fromtimestamp(self.go_epoch, UTC).isoformat()
                if self.go_epoch
                else None,
                "sending_s": round(sending, 3),
                "throughput_ops_s": round(sent / sending, 1) if sending > 0 else None,
                # CPU time / wall time of the workers while sending; near 1: they were saturated
                "worker_cpu_busy": round(busy, 3) if busy is not None else None,
                "reason": reason,
            },
            "shards": shards,
            **summary,
            "reconcile": reconciliation.merge(
                [d["reconcile"] for d in self.done.values() if "reconcile" in d]
            ),
            "problems": self._problems(reason, summary),  # each one fails the run
            "warnings": warnings,  # worth knowing, not a failure
        }

    def _settings_meta(self) -> dict[str, Any]:
        """What was replayed, and how (the trace facts as the workers read them)."""
        s = self.settings
        info = next(iter(self.ready.values()), {})
        return {
            "trace": s.trace if s else None,
            "digest": info.get("digest"),
            "profile": info.get("profile", s.profile if s else None),
            "speedup": s.speedup if s else None,
            "max_idle_s": s.max_idle if s else None,
            "max_duration_s": s.max_duration if s else None,
            "max_requests": s.max_requests if s else None,
            "trace_rows": info.get("rows"),
            "window_rows": info.get("window"),
            "scheduled_s": info.get("duration"),
        }

    def _problems(self, reason: str, summary: dict[str, Any]) -> list[str]:
        """Everything that makes the run fail besides checks and reconciliation."""
        problems = list(self.problems)
        missing = sorted(i for cid, i in self.shard.items() if cid not in self.done)
        if missing and reason != "setup error":
            problems.append(f"no results from shard(s) {missing}")
        if not missing:  # every operation due must have ended one way or another
            for op, row in summary["ops"].items():
                counts = row["counts"]
                unsettled = counts["due"] - sum(counts[o] for o in OUTCOMES)
                if op != ALL and unsettled:
                    problems.append(f"{op}: {unsettled} operation(s) unaccounted for")
        return problems

    def finish(self, reason: str) -> None:
        """Stop every worker, write the results, report and CSVs, and set the exit code."""
        if self.finished:
            return
        self.finished = True
        self._send(STOP, {})
        results = self.results(reason)
        checks = []
        if self.settings is not None:
            checks = [c.evaluate(results) for c in parse_checks(self.settings.check)]
        rec = results["reconcile"]
        bad_cases = sum(rec[p] for p in reconciliation.PROBLEMS)
        results["checks"] = checks
        results["passed"] = (
            not results["problems"] and bad_cases == 0 and all(c["passed"] for c in checks)
        )
        passed = EXIT_PASSED if results["passed"] else EXIT_FAILED
        self.environment.process_exit_code = EXIT_USAGE if self.usage_error else passed
        if self.settings is not None:
            _write(Path(self.settings.out), results, self.aggregate, self.settings.report)
        for problem in results["problems"]:
            logger.error("replay: %s", problem)
        for warning in results["warnings"]:
            logger.warning("replay: %s", warning)
        logger.info("replay %s: %s", reason, _one_line(results))


def _write(out: Path, results: dict[str, Any], aggregate: Aggregate, report: bool) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / RESULTS_FILE).write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n")
    (out / HDR_FILE).write_text(json.dumps(aggregate.encoded(), indent=1) + "\n")
    if report:
        from loadtest.replay.report import write  # matplotlib: imported only when needed

        write(results, out)


def _one_line(results: dict[str, Any]) -> str:
    total = results["ops"].get(ALL)
    if total is None:
        return "nothing was sent"
    c, rec = total["counts"], results["reconcile"]
    return (
        f"{c['ok']} ok, {c['failed']} failed, {c['skipped']} skipped, "
        f"{c['unsupported']} unsupported of {c['due']}; p99 {total['sched']['p99']} ms, "
        f"lag p99 {total['lag']['p99']} ms; lost {rec['lost']}, duplicated {rec['duplicated']},"
        f" mismatched {rec['mismatched']}; {'passed' if results['passed'] else 'FAILED'}"
    )


_COORDINATORS: WeakKeyDictionary[Environment, Coordinator] = WeakKeyDictionary()


def coordinator_for(environment: Environment) -> Coordinator:
    """The coordinator of a master or local environment."""
    return _COORDINATORS[environment]


class ReplayShape(LoadTestShape):
    """One replay user per worker for as long as the replay runs (see Coordinator.tick)."""

    def tick(self) -> tuple[int, float] | None:
        """Delegate to the environment's coordinator."""
        assert self.runner is not None
        return coordinator_for(self.runner.environment).tick()


def _on_init(environment: Environment, **_kw: Any) -> None:
    runner = environment.runner
    if isinstance(runner, MasterRunner | LocalRunner):
        coordinator = _COORDINATORS[environment] = Coordinator(environment)
        runner.register_message(HELLO, coordinator.on_hello)
        runner.register_message(READY, coordinator.on_ready)
        runner.register_message(DONE, coordinator.on_done)
        attach_master(environment.events, lambda: coordinator.aggregate)
    if isinstance(runner, WorkerRunner | LocalRunner):

        def on_assign(environment: Environment, msg: Message, **_kw: Any) -> None:
            if (engine := engine_for(environment)) is not None:
                engine.assign(msg.data["shard"], msg.data["shards"])

        def on_go(environment: Environment, msg: Message, **_kw: Any) -> None:
            if (engine := engine_for(environment)) is not None:
                engine.go(msg.data["start"])

        def on_stop(environment: Environment, msg: Message, **_kw: Any) -> None:
            if (engine := engine_for(environment)) is not None:
                engine.stop()

        runner.register_message(ASSIGN, on_assign)
        runner.register_message(GO, on_go)
        runner.register_message(STOP, on_stop)

        def recorder() -> Any:
            engine = engine_for(environment)
            return engine.recorder if engine is not None else None

        attach_worker(environment.events, recorder)


def _on_test_start(environment: Environment, **_kw: Any) -> None:
    runner = environment.runner
    if isinstance(runner, WorkerRunner | LocalRunner):
        new_engine(environment)
    if isinstance(runner, MasterRunner | LocalRunner):
        coordinator_for(environment).start()


def _on_quitting(environment: Environment, **_kw: Any) -> None:
    coordinator = _COORDINATORS.get(environment)
    if coordinator is not None and coordinator.running:
        coordinator.finish("interrupted")


def install(events: Events) -> None:
    """Wire the replay into Locust: options, message handlers, engines and coordinator."""
    events.init_command_line_parser.add_listener(lambda parser, **_kw: add_arguments(parser))
    events.init.add_listener(_on_init)
    events.test_start.add_listener(_on_test_start)
    events.quitting.add_listener(_on_quitting)
