"""One HTTP exchange through Locust's FastHttpSession: send, judge, retry.

Every attempt goes through Locust (so its statistics and web UI see it, named after the
operation) and is judged by the profile, not by Locust's status rules. Retries reuse the
rendered request byte for byte, so an idempotency key in its headers makes a retry after a
lost response — or a platform restart — harmless.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import gevent

from loadtest.replay.profile import MISSING, Call, Request, RetrySpec

if TYPE_CHECKING:  # importing locust monkey-patches the process (see runner.py)
    from locust.contrib.fasthttp import FastHttpSession


@dataclass(frozen=True, slots=True)
class Outcome:
    """How an exchange ended."""

    ok: bool
    status: int  # of the last attempt; 0 when no response came back
    reason: str | None  # why it failed
    document: Any  # the parsed body, when it was asked for (else MISSING)
    attempts: int
    first_send: float  # monotonic time of the first attempt
    done: float  # monotonic time the last attempt ended
    stopped: bool = False  # gave up retrying because the run is being stopped


def _retryable(retry: RetrySpec, status: int) -> bool:
    if status == 0:
        return retry.on_connection_error
    return status in retry.on_status


def exchange(
    client: FastHttpSession,
    call: Call,
    request: Request,
    name: str,
    *,
    want_document: bool = False,
    stopping: Callable[[], bool] = lambda: False,
) -> Outcome:
    """Send ``request`` until the profile judges it a success or its retry policy gives up."""
    retry = call.retry
    delay = retry.backoff
    first = time.monotonic()
    attempts = 0
    while True:
        with client.request(
            request.method,
            request.path,
            name=name,
            data=request.body,
            headers=request.headers,
            catch_response=True,
        ) as response:
            status = response.status_code
            verdict = call.judge(status, response.content if status else None, want_document)
            if verdict.ok:
                response.success()
            else:
                response.failure(verdict.reason)
        attempts += 1
        now = time.monotonic()
        if (
            verdict.ok
            or not _retryable(retry, status)
            or attempts >= retry.attempts
            or now + delay - first > retry.give_up_after
        ):
            return Outcome(
                verdict.ok, status, verdict.reason, verdict.document, attempts, first, now
            )
        if stopping():
            return Outcome(False, status, verdict.reason, MISSING, attempts, first, now, True)
        gevent.sleep(delay)
        delay = min(delay * 2, retry.max_backoff)
