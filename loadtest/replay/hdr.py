"""Per-operation HDR histograms and counters, recorded on workers and merged on the master.

Three histograms per operation, in microseconds:

- ``sched``: response time measured from the operation's *scheduled* time. A send that was late
  (the generator fell behind, or the case's previous step was slow) counts its lateness, so
  the figure is free of coordinated omission, as in wrk2 and k6's arrival-rate executors.
- ``send``: response time from the first actual send (what Locust's own statistics show).
- ``lag``: actual send − scheduled time.

Workers keep deltas and hand them over on every Locust stats report
(``events.report_to_master``); the master adds them up on ``events.worker_report``. HDR
histograms add exactly, so the merged percentiles are those of all samples together.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from hdrh.histogram import HdrHistogram

if TYPE_CHECKING:  # importing locust monkey-patches the process; only Locust's side needs it
    from locust.event import Events

HIGHEST_US = 3_600_000_000  # one hour; anything slower is recorded as one hour
SIGNIFICANT_FIGURES = 3
KINDS = ("sched", "send", "lag")
COUNTERS = (
    "due",  # in the run's window: every one ends in exactly one of the next five
    "unsupported",  # the profile has no request for it
    "skipped",  # an earlier step of its case or patrol failed, so it was not sent
    "ok",
    "failed",  # failed for good (after retries), or could not be rendered (e.g. no token)
    "aborted",  # cut short by the hard stop (max duration + drain)
    "cut",  # beyond --max-duration / --max-requests: not due in this run
    "sent",  # first attempts sent
    "retries",  # further attempts
    "late",  # sent more than --late-after after its scheduled time
    "waited",  # had to wait for the previous step of its case or patrol
)
OUTCOMES = ("unsupported", "skipped", "ok", "failed", "aborted")
PERCENTILES = (("p50", 50.0), ("p90", 90.0), ("p95", 95.0), ("p99", 99.0), ("p999", 99.9))
REPORT_KEY = "gridsim_replay"
ALL = "all"


def new_histogram() -> HdrHistogram:
    """An empty histogram of microseconds, 1 µs to one hour, three significant figures."""
    return HdrHistogram(1, HIGHEST_US, SIGNIFICANT_FIGURES)


def record_many(h: HdrHistogram, values_us: np.ndarray) -> None:
    """Record many values at once: the index arithmetic of ``HdrHistogram.record_value``,
    vectorised (recording one by one costs ~4 µs a value in pure Python)."""
    if values_us.size == 0:
        return
    v = np.clip(values_us.astype(np.int64), 0, HIGHEST_US)
    # bit_length(v | mask) via frexp: exact, since every value is far below 2**53
    bits = np.frexp((v | h.sub_bucket_mask).astype(np.float64))[1].astype(np.int64)
    bucket = bits - h.unit_magnitude - (h.sub_bucket_half_count_magnitude + 1)
    sub_bucket = v >> (bucket + h.unit_magnitude)
    index = ((bucket + 1) << h.sub_bucket_half_count_magnitude) + sub_bucket
    index -= h.sub_bucket_half_count
    counts = np.ctypeslib.as_array(h.counts)
    np.add.at(counts, index, 1)
    h.total_count += int(v.size)
    h.min_value = min(h.min_value, int(v.min()))
    h.max_value = max(h.max_value, int(v.max()))


def _values(h: HdrHistogram, index: np.ndarray) -> np.ndarray:
    """``HdrHistogram.get_value_from_index``, vectorised: the lowest value of each bucket."""
    bucket = (index >> h.sub_bucket_half_count_magnitude) - 1
    sub_bucket = (index & (h.sub_bucket_half_count - 1)) + h.sub_bucket_half_count
    first = bucket < 0
    sub_bucket = np.where(first, sub_bucket - h.sub_bucket_half_count, sub_bucket)
    bucket = np.maximum(bucket, 0)
    return sub_bucket << (bucket + h.unit_magnitude)


def summarise(h: HdrHistogram) -> dict[str, float | int | None]:
    """Count, mean, percentiles and max of a histogram, in milliseconds.

    The same figures as ``get_value_at_percentile`` and ``get_mean_value``, computed with numpy
    (hdrh walks its ~23,000 buckets in Python for each one).
    """
    n = h.get_total_count()
    if n == 0:
        return {"count": 0, "mean": None, "max": None, **{name: None for name, _ in PERCENTILES}}
    counts = np.ctypeslib.as_array(h.counts).astype(np.int64)
    nonzero = np.flatnonzero(counts)
    lowest = _values(h, nonzero)
    # each bucket spans a power-of-two-sized range: its size is the bucket's unit
    size = np.left_shift(
        1, (nonzero >> h.sub_bucket_half_count_magnitude).clip(1) - 1 + h.unit_magnitude
    )
    mean = float(np.sum((lowest + (size >> 1)) * counts[nonzero]) / n)
    cumulative = np.cumsum(counts[nonzero])
    out: dict[str, float | int | None] = {"count": n, "mean": mean / 1000}
    for name, q in PERCENTILES:
        target = max(int(q * n / 100 + 0.5), 1)
        value = int(lowest[np.searchsorted(cumulative, target)])
        out[name] = h.get_highest_equivalent_value(value) / 1000
    out["max"] = h.get_max_value() / 1000
    return out


class Recorder:
    """A worker's measurements since the last hand-over.

    Samples are buffered as plain lists (cheap on the send path) and folded into histograms
    when a delta is taken.
    """

    def __init__(self, late_after: float) -> None:
        self.late_after = late_after
        self._reset()

    def _reset(self) -> None:
        self._samples: dict[tuple[str, str], list[float]] = {}
        self._counts: dict[str, Counter[str]] = {}
        self._timeline: dict[int, list[float]] = {}  # second → [sent, ok, failed, max lag s]
        self._reasons: Counter[tuple[str, str]] = Counter()

    def count(self, op: str, counter: str, n: int = 1) -> None:
        """Add ``n`` to one of :data:`COUNTERS` of ``op``."""
        counts = self._counts.get(op)
        if counts is None:
            counts = self._counts[op] = Counter()
        counts[counter] += n

    def _sample(self, op: str, kind: str, seconds: float) -> None:
        key = (op, kind)
        bucket = self._samples.get(key)
        if bucket is None:
            bucket = self._samples[key] = []
        bucket.append(seconds)

    def _second(self, second: float) -> list[float]:
        row = self._timeline.get(int(second))
        if row is None:
            row = self._timeline[int(second)] = [0, 0, 0, 0.0]
        return row

    def sent(self, op: str, lag: float, elapsed: float, waited: bool) -> None:
        """A first attempt went out ``lag`` seconds after its scheduled time."""
        self.count(op, "sent")
        if lag > self.late_after:
            self.count(op, "late")
        if waited:
            self.count(op, "waited")
        self._sample(op, "lag", lag)
        row = self._second(elapsed)
        row[0] += 1
        row[3] = max(row[3], lag)

    def finished(
        self, op: str, ok: bool, from_scheduled: float, from_send: float, elapsed: float
    ) -> None:
        """An operation that was sent ended, well or not."""
        self.count(op, "ok" if ok else "failed")
        self._sample(op, "sched", from_scheduled)
        self._sample(op, "send", from_send)
        self._second(elapsed)[1 if ok else 2] += 1

    def reason(self, op: str, reason: str) -> None:
        """Why an operation failed (kept per operation and reason, for the report)."""
        self._reasons[(op, reason)] += 1

    def take(self) -> dict[str, Any]:
        """Everything since the last call, as plain data for Locust's messages; then reset."""
        hist: dict[str, dict[str, bytes]] = {}
        for (op, kind), seconds in self._samples.items():
            h = new_histogram()
            record_many(h, np.asarray(seconds) * 1e6)
            hist.setdefault(op, {})[kind] = h.encode()
        delta = {
            "hist": hist,
            "counts": {op: dict(c) for op, c in self._counts.items()},
            "timeline": [[s, *row] for s, row in self._timeline.items()],
            "reasons": [[op, reason, n] for (op, reason), n in self._reasons.items()],
        }
        self._reset()
        return delta


class Aggregate:
    """The master's merged view of every worker's deltas."""

    def __init__(self) -> None:
        self.hist: dict[str, dict[str, HdrHistogram]] = {}
        self.counts: dict[str, Counter[str]] = {}
        self.timeline: dict[int, list[float]] = {}
        self.reasons: Counter[tuple[str, str]] = Counter()

    def merge(self, delta: dict[str, Any]) -> None:
        """Add one worker delta (from :meth:`Recorder.take`)."""
        for op, kinds in delta["hist"].items():
            mine = self.hist.setdefault(op, {})
            for kind, encoded in kinds.items():
                if kind not in mine:
                    mine[kind] = new_histogram()
                mine[kind].decode_and_add(encoded)
        for op, counts in delta["counts"].items():
            self.counts.setdefault(op, Counter()).update(counts)
        for second, sent, ok, failed, lag in delta["timeline"]:
            row = self.timeline.setdefault(int(second), [0, 0, 0, 0.0])
            row[0] += sent
            row[1] += ok
            row[2] += failed
            row[3] = max(row[3], lag)
        for op, reason, n in delta["reasons"]:
            self.reasons[(op, reason)] += n

    def _total(self, kind: str) -> HdrHistogram:
        total = new_histogram()
        for kinds in self.hist.values():
            if kind in kinds:
                total.add(kinds[kind])
        return total

    def summary(self) -> dict[str, Any]:
        """Per operation and for all together: counters and latency/lag summaries (ms)."""
        ops: dict[str, Any] = {}
        for op in sorted(set(self.counts) | set(self.hist)):
            kinds = self.hist.get(op, {})
            ops[op] = {
                "counts": {c: self.counts.get(op, Counter())[c] for c in COUNTERS},
                **{k: summarise(kinds[k] if k in kinds else new_histogram()) for k in KINDS},
            }
        total = Counter[str]()
        for counts in self.counts.values():
            total.update(counts)
        ops[ALL] = {
            "counts": {c: total[c] for c in COUNTERS},
            **{k: summarise(self._total(k)) for k in KINDS},
        }
        return {
            "ops": ops,
            "timeline": [
                [s, sent, ok, failed, round(lag * 1000, 3)]
                for s, (sent, ok, failed, lag) in sorted(self.timeline.items())
            ],
            "reasons": [[op, r, n] for (op, r), n in self.reasons.most_common()],
        }

    def encoded(self) -> dict[str, dict[str, str]]:
        """The merged histograms, HdrHistogram-encoded (for merging with other runs)."""
        return {
            op: {kind: h.encode().decode("ascii") for kind, h in kinds.items()}
            for op, kinds in self.hist.items()
        }


def attach_worker(events: Events, recorder: Callable[[], Recorder | None]) -> None:
    """Ship the current recorder's delta with every stats report a worker sends."""

    def on_report(client_id: str, data: dict[str, Any], **_kw: Any) -> None:
        current = recorder()
        if current is not None:
            data[REPORT_KEY] = current.take()

    events.report_to_master.add_listener(on_report)


def attach_master(events: Events, aggregate: Callable[[], Aggregate]) -> None:
    """Merge the deltas that arrive with workers' stats reports."""

    def on_report(client_id: str, data: dict[str, Any], **_kw: Any) -> None:
        if REPORT_KEY in data:
            aggregate().merge(data[REPORT_KEY])

    events.worker_report.add_listener(on_report)
