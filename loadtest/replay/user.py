"""The Locust user that replays one worker's shard of a trace, open loop.

One :class:`Engine` per worker process (per test run) does the work; the first
:class:`ReplayUser` spawned in the process drives it, any further ones idle (the load shape in
:mod:`loadtest.replay.coordinator` asks for exactly one user per worker).

The engine's dispatcher walks the shard in time order and, at each operation's scheduled time,
hands it to one of ``--replay-connections`` sending greenlets — unless an earlier operation of
the same *lane* (case or patrol) is still under way, in which case it queues behind it, so a
case's steps stay in trace order while other cases keep their schedules. Sends never wait for
unrelated responses (open loop); when one does go out late, its lateness is recorded, not
hidden.

Conversation with the master (custom messages, see ``coordinator``): the user says HELLO; the
master ASSIGNs each worker a shard; the worker loads it and says READY; the master says GO with
a common start time; the worker replays, reconciles its cases and says DONE with its results.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import time
from collections import Counter, deque
from datetime import timedelta
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

import gevent
import numpy as np
from gevent.event import Event
from gevent.queue import Queue
from locust import FastHttpUser, constant, task
from locust.contrib.fasthttp import FastHttpSession
from locust.env import Environment

from loadtest.replay.hdr import Recorder
from loadtest.replay.options import Settings, check_host
from loadtest.replay.profile import MISSING, Profile, Step, TemplateError, load_profile
from loadtest.replay.reconcile import CaseRecord, reconcile
from loadtest.replay.schedule import Clock, offsets, window
from loadtest.replay.trace import CASE_LANE, Rows, Trace
from loadtest.replay.transport import exchange

HELLO, ASSIGN, READY, GO, DONE, STOP = (
    f"gridsim_replay_{m}" for m in ("hello", "assign", "ready", "go", "done", "stop")
)
START_LEAD = 0.3  # seconds between GO and the first due time, for the message to arrive
STOP_POLL = 0.25  # seconds: how long the dispatcher sleeps at most before looking for a stop
# What reconciliation's templates see of a case's first operation (not its payload: kept for
# every case until the end, so kept small); ids is the case's live dict of captured ids.
RECONCILE_CONTEXT = ("case", "grid", "actor", "token", "unit_token", "ids", "worker")

logger = logging.getLogger("gridsim.replay")


class Lane:
    """A case's or a patrol's operations on this worker: order, captured ids, outcome."""

    __slots__ = ("busy", "expected", "failure", "first", "ids", "key", "last_ok", "queue")

    def __init__(self, key: str) -> None:
        self.key = key
        self.ids: dict[str, Any] = {}  # captured from responses, {ids.<name>} in templates
        self.queue: deque[int] = deque()  # due operations waiting for the one under way
        self.busy = False
        self.expected: str | None = None  # the state the trace says it ends in
        self.first: dict[str, Any] | None = None  # from its first mapped operation's context
        self.last_ok: str | None = None
        self.failure: tuple[str, str] | None = None  # (op, reason): later steps are skipped


class Engine:
    """One worker's share of a replay."""

    # Set by _load (in a native thread) before READY; used from GO on.
    profile: Profile
    tokens: dict[str, str]
    key_prefix: str
    rows: Rows
    trace_cases: set[str]
    client: FastHttpSession

    def __init__(self, environment: Environment) -> None:
        self.environment = environment
        self._claimed = False
        self._assigned = Event()
        self._go = Event()
        self._stop = Event()
        self.shard = 0
        self.shards = 1
        self.clock = Clock(time.monotonic())
        self.settings: Settings | None = None
        self.recorder: Recorder | None = None
        self.lanes: dict[str, Lane] = {}

    # --- messages from the master (handlers must not block) ---------------------------------

    def assign(self, shard: int, shards: int) -> None:
        """This worker replays shard ``shard`` of ``shards``."""
        self.shard, self.shards = shard, shards
        self._assigned.set()

    def go(self, start_epoch: float) -> None:
        """Offset 0 of the schedule is the Unix time ``start_epoch``."""
        self.clock = Clock.from_epoch(start_epoch)
        self._go.set()

    def stop(self) -> None:
        """Stop sending: what is not under way yet is counted as aborted."""
        self._stop.set()
        self._assigned.set()
        self._go.set()

    @property
    def stopping(self) -> bool:
        """Whether :meth:`stop` was called."""
        return self._stop.is_set()

    def claim(self) -> bool:
        """True for the first caller only: one user per process drives the engine."""
        first = not self._claimed
        self._claimed = True
        return first

    # --- the run ------------------------------------------------------------------------------

    def play(self, client: FastHttpSession) -> None:
        """The whole conversation, from HELLO to DONE (runs in the user's greenlet)."""
        runner = self.environment.runner
        assert runner is not None
        runner.send_message(HELLO, {"pid": os.getpid()})
        self._assigned.wait()
        if self.stopping:
            return
        try:
            # In a native thread, so that heartbeats keep flowing while a big trace loads.
            info = gevent.get_hub().threadpool.apply(self._load)
        except Exception as exc:  # any load failure ends the run, and is reported
            runner.send_message(READY, {"error": f"{type(exc).__name__}: {exc}"})
            return
        # What was just loaded lives as long as the run: keep the collector from walking it on
        # every full collection (a pause that would show up as send lag).
        gc.freeze()
        runner.send_message(READY, info)
        self._go.wait()
        if self.stopping:
            return
        assert self.settings is not None and self.recorder is not None
        hard_stop = None
        if self.settings.max_duration is not None:
            left = self.settings.max_duration + self.settings.drain - self.clock.elapsed()
            hard_stop = gevent.spawn_later(max(left, 0), self.stop)
        started = time.time() - self.clock.elapsed()  # offset 0, as a Unix time
        cpu = time.process_time()
        done: dict[str, Any] = {"shard": self.shard, "pid": os.getpid(), "rows": len(self.rows)}
        try:
            self._dispatch(client)
            if hard_stop is not None:
                hard_stop.kill()  # the bound is on sending; reading back may take longer
            done["finished"], done["cpu_s"] = time.time(), time.process_time() - cpu
            done["reconcile"] = reconcile(
                client, self.profile, self._case_records(), self.trace_cases, lambda: self.stopping
            )
        except Exception as exc:  # a bug here must not leave the master waiting, or hide
            logger.exception("replay: shard %d failed", self.shard)
            done["error"] = f"{type(exc).__name__}: {exc}"
        done.setdefault("finished", time.time())
        done.setdefault("cpu_s", time.process_time() - cpu)
        runner.send_message(DONE, {**done, "started": started, "delta": self.recorder.take()})

    def _load(self) -> dict[str, Any]:
        """Read the trace, profile and tokens; pick this shard's rows in the run's window."""
        environment = self.environment
        assert environment.parsed_options is not None
        check_host(environment.host)  # the master checked too; a worker checks for itself
        self.settings = s = Settings.from_options(environment.parsed_options)
        self.recorder = Recorder(s.late_after)
        self.profile = load_profile(s.profile)
        self.tokens = json.loads(Path(s.tokens).read_text(encoding="utf-8")) if s.tokens else {}
        trace = Trace(Path(s.trace))
        self.key_prefix = f"gridsim-{trace.digest}"
        due = offsets(trace.t, s.speedup, s.max_idle)
        supported = {op: self.profile.supports(op) for op in set(trace.ops)}
        countable = np.fromiter((supported[op] for op in trace.ops), bool, len(trace))
        end = window(due, countable, s.max_duration, s.max_requests)
        mine = trace.shard_index(self.shards) == self.shard
        in_window = np.arange(len(trace)) < end
        self.rows = trace.rows(mine & in_window, due)
        for op, n in Counter(self.rows.op).items():
            self.recorder.count(op, "due", n)
        cut = np.flatnonzero(mine & ~in_window)
        for op, n in Counter(trace.ops[i] for i in cut).items():
            self.recorder.count(op, "cut", n)
        self.trace_cases = {c for c in trace.table.column("case").unique().to_pylist() if c}
        return {
            "rows": len(trace),
            "window": end,
            "shard_rows": len(self.rows),
            "digest": trace.digest,
            "duration": float(due[end - 1]) if end else 0.0,
            "profile": self.profile.source,
        }

    def _dispatch(self, client: FastHttpSession) -> None:
        """Hand every operation, at its due time, to the first free sender; wait for all."""
        assert self.settings is not None
        self.client = client
        rows, clock = self.rows, self.clock
        # A fixed set of senders fed through a queue (like k6's pool of VUs): a greenlet per
        # operation would cost a third more CPU, and the dispatcher itself never blocks, so a
        # busy moment delays only the operations that fall in it, and shows as their lag.
        ready: Queue[tuple[Lane | None, int] | None] = Queue()
        senders = [gevent.spawn(self._sender, ready) for _ in range(self.settings.connections)]
        n = len(rows)
        i = 0
        while i < n:
            due = clock.due(rows.due[i])
            while (remaining := due - time.monotonic()) > 0 and not self.stopping:
                # A plain sleep costs less CPU than waiting on the stop event with a timeout;
                # long waits are cut into slices so that a stop is still noticed promptly.
                gevent.sleep(min(remaining, STOP_POLL))
            if self.stopping:
                break
            key = rows.lane[i]
            if not key:
                ready.put((None, i))
            else:
                lane = self.lanes.get(key)
                if lane is None:
                    lane = self.lanes[key] = Lane(key)
                if lane.busy:
                    lane.queue.append(i)
                else:
                    lane.busy = True
                    ready.put((lane, i))
            i += 1
        for j in range(i, n):
            key = rows.lane[j]
            self._abort(j, self.lanes.setdefault(key, Lane(key)) if key else None)
        for _sender in senders:
            ready.put(None)
        gevent.joinall(senders)

    def _sender(self, ready: Queue[tuple[Lane | None, int] | None]) -> None:
        """One sending greenlet: an independent operation, or a lane's run, at a time."""
        while (item := ready.get()) is not None:
            lane, i = item
            if lane is None:
                self._single(i)
            else:
                self._drain(lane, i)

    def _single(self, i: int) -> None:
        if self.stopping:
            self._abort(i, None)
        else:
            self._execute(i, None, waited=False)

    def _drain(self, lane: Lane, i: int) -> None:
        """Run ``i`` and then whatever queued up behind it in the lane, in order."""
        waited = False
        while True:
            if self.stopping:
                self._abort(i, lane)
            else:
                self._execute(i, lane, waited)
            if not lane.queue:
                lane.busy = False
                return
            i = lane.queue.popleft()
            waited = True

    def _context(self, i: int, lane: Lane | None) -> dict[str, Any]:
        """What templates see for operation ``i`` (see loadtest.replay.profile)."""
        rows = self.rows
        try:
            payload = json.loads(rows.payload[i])
        except ValueError:
            payload = {}
        if not isinstance(payload, dict):
            payload = {}
        context: dict[str, Any] = {
            "seq": rows.seq[i],
            "t": rows.t[i],
            "op": rows.op[i],
            "actor": {
                "role": rows.actor_role[i],
                "id": rows.actor_id[i],
                "unit": rows.actor_unit[i],
            },
            "payload": payload,
            "ids": lane.ids if lane is not None else {},
            "worker": self.shard,
            "idempotency_key": f"{self.key_prefix}-{rows.seq[i]}",
            "at": payload.get("at") or self._at(rows.t[i]),
        }
        for name, value in (("case", rows.case[i]), ("grid", rows.grid[i])):
            if value is not None:
                context[name] = value
        for name, key in (("token", rows.actor_id[i]), ("unit_token", rows.actor_unit[i])):
            token = self.tokens.get(key)
            if token is not None:
                context[name] = token
        return context

    def _at(self, t: float) -> str:
        """Trace time ``t`` as a timestamp (the profile's epoch is t = 0)."""
        return (self.profile.epoch + timedelta(seconds=t)).isoformat()

    def _prepare(self, i: int, lane: Lane | None) -> tuple[dict[str, Any], Step | None]:
        """The operation's context and step; notes what the trace says its case becomes."""
        context = self._context(i, lane)
        step = self.profile.select(self.rows.op[i], context)
        if lane is not None and step is not None:
            if step.state is not None:
                lane.expected = step.state
            if lane.first is None:  # what reconciliation reads the case back with
                lane.first = {k: context[k] for k in RECONCILE_CONTEXT if k in context}
                lane.first["idempotency_key"] = ""  # reads carry none (empty headers are dropped)
        return context, step

    def _abort(self, i: int, lane: Lane | None) -> None:
        assert self.recorder is not None
        _context, step = self._prepare(i, lane)
        self.recorder.count(self.rows.op[i], "unsupported" if step is None else "aborted")

    def _execute(self, i: int, lane: Lane | None, waited: bool) -> None:
        """Send operation ``i`` (with retries), unless unsupported or its lane has failed."""
        rec = self.recorder
        assert rec is not None
        op = self.rows.op[i]
        context, step = self._prepare(i, lane)
        if step is None:
            rec.count(op, "unsupported")
            return
        if lane is not None and lane.failure is not None:
            rec.count(op, "skipped")
            return
        try:
            request = step.render(context)
        except TemplateError as exc:
            rec.count(op, "failed")
            self._failed(op, step, lane, str(exc))
            return
        clock = self.clock
        due = clock.due(self.rows.due[i])
        out = exchange(
            self.client,
            step,
            request,
            op,
            want_document=bool(step.capture),
            stopping=lambda: self.stopping,
        )
        rec.sent(op, out.first_send - due, out.first_send - clock.start, waited)
        if out.attempts > 1:
            rec.count(op, "retries", out.attempts - 1)
        if out.stopped:
            rec.count(op, "aborted")
            return
        ok, reason = out.ok, out.reason
        if ok and step.capture and lane is not None:
            ok, reason = _capture(step, out.document, lane)
        rec.finished(op, ok, out.done - due, out.done - out.first_send, out.done - clock.start)
        if ok:
            if lane is not None:
                lane.last_ok = op
        else:
            self._failed(op, step, lane, reason or "failed")

    def _failed(self, op: str, step: Step, lane: Lane | None, reason: str) -> None:
        assert self.recorder is not None
        self.recorder.reason(op, reason)
        # A failed read changes nothing on the platform; a failed write makes later steps of
        # the same case meaningless, so they are skipped (and counted), never sent blind.
        if lane is not None and not step.read_only:
            lane.failure = (op, reason)

    def _case_records(self) -> list[CaseRecord]:
        return [
            CaseRecord(
                case=key[len(CASE_LANE) :],
                expected=lane.expected,
                context=lane.first,
                last_ok=lane.last_ok,
                failure=lane.failure,
            )
            for key, lane in self.lanes.items()
            if key.startswith(CASE_LANE) and lane.first is not None
        ]


def _capture(step: Step, document: Any, lane: Lane) -> tuple[bool, str | None]:
    """Save the ids ``step`` captures into the lane; a missing one fails the step."""
    for name, path in step.capture:
        value = path.find(document)
        if value is MISSING or value is None:
            return False, f"no {path.source} in response"
        lane.ids[name] = value
    return True, None


_ENGINES: WeakKeyDictionary[Environment, Engine] = WeakKeyDictionary()


def engine_for(environment: Environment) -> Engine | None:
    """This process's engine for the current test run (None before the run starts)."""
    return _ENGINES.get(environment)


def new_engine(environment: Environment) -> Engine:
    """A fresh engine for a new test run in this process."""
    previous = _ENGINES.get(environment)
    if previous is not None:
        previous.stop()
    engine = _ENGINES[environment] = Engine(environment)
    return engine


class ReplayUser(FastHttpUser):
    """Replays this worker's shard of the trace given by ``--replay-trace`` (see module doc)."""

    wait_time = constant(0)
    network_timeout = 30.0
    connection_timeout = 10.0

    def __init__(self, environment: Environment) -> None:
        # One connection per operation in flight; the session is built in super().__init__.
        # (A bad value is reported when the engine parses the options.)
        connections = str(getattr(environment.parsed_options, "replay_connections", ""))
        self.concurrency = int(connections) if connections.isdigit() else 256
        super().__init__(environment)

    @task
    def replay(self) -> None:
        """Drive the engine once, then idle until the master stops the test."""
        engine = engine_for(self.environment)
        if engine is not None and engine.claim():
            try:
                engine.play(self.client)
            finally:
                engine.stop()
        Event().wait()  # idle: a second pass would send everything again
