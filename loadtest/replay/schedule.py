"""Open-loop timing: when each operation is due, and which operations a bounded run sends.

An operation's *offset* is its due time in wall-clock seconds after the replay starts: trace
``t`` divided by the speed-up, with every gap between consecutive operations longer than
``max_idle`` shortened to ``max_idle`` (nights and weekends need not be waited out). The first
operation is due at offset 0. Offsets come from the whole trace, before sharding, so that every
worker agrees on them.
"""

from __future__ import annotations

import re
import time

import numpy as np

_DURATION = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*(us|µs|ms|s|m|h)?\s*")
_UNIT_SECONDS = {"us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(text: str) -> float:
    """Seconds in ``text``: ``250ms``, ``5s``, ``2m``, ``1h``, ``100us``; a bare number is seconds.

    Raises:
        ValueError: if ``text`` is not a non-negative duration.
    """
    match = _DURATION.fullmatch(text)
    if match is None:
        raise ValueError(f"not a duration: {text!r} (e.g. 500ms, 5s, 2m)")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def offsets(t: np.ndarray, speedup: float, max_idle: float | None = None) -> np.ndarray:
    """Due offsets (s) of operations at trace times ``t`` (sorted), replayed ``speedup``× faster."""
    if speedup <= 0:
        raise ValueError("speedup must be positive")
    if t.size == 0:
        return np.zeros(0)
    gaps = np.diff(t) / speedup
    if max_idle is not None:
        gaps = np.minimum(gaps, max_idle)
    return np.concatenate(([0.0], np.cumsum(gaps)))


def window(
    due: np.ndarray,
    countable: np.ndarray,
    max_duration: float | None = None,
    max_requests: int | None = None,
) -> int:
    """How many leading operations a bounded run sends (the rest are cut, deterministically).

    ``max_duration`` cuts operations due after it; ``max_requests`` keeps the first that many
    ``countable`` operations (those the profile maps to a request). Both are prefixes of the
    time-ordered trace, so every worker computes the same cut and a case is never sent its
    later steps without its earlier ones.
    """
    end = int(due.size)
    if max_duration is not None:
        end = int(np.searchsorted(due, max_duration, side="right"))
    if max_requests is not None:
        counted = np.cumsum(countable[:end], dtype=np.int64)
        end = min(end, int(np.searchsorted(counted, max_requests, side="right")))
    return end


class Clock:
    """The replay's time base: offset 0 is ``start`` (a ``time.monotonic()`` value)."""

    def __init__(self, start: float) -> None:
        self.start = start

    @classmethod
    def from_epoch(cls, epoch: float) -> Clock:
        """A clock whose offset 0 is the Unix time ``epoch`` (how the master names the start,
        since monotonic clocks are not comparable across machines)."""
        return cls(time.monotonic() + (epoch - time.time()))

    def due(self, offset: float) -> float:
        """The monotonic time at which ``offset`` falls."""
        return self.start + offset

    def elapsed(self) -> float:
        """Seconds since offset 0 (negative before the start)."""
        return time.monotonic() - self.start
