"""Pass/fail thresholds for a run: ``--check 'p99<500ms,fail<0.1%,lag_p99<50ms'``.

A check is ``METRIC[OP] CMP VALUE`` (``[OP]`` optional, e.g. ``p99[case.report]<300ms``;
CMP one of ``< <= > >= =``). Metrics:

- latency from the scheduled time (no coordinated omission): ``p50 p90 p95 p99 p999 max mean``;
- latency from the actual send: the same with ``send_`` in front (``send_p99``);
- send lag (actual − scheduled): the same with ``lag_`` in front (``lag_p99``);
  times take ``us``, ``ms`` or ``s``; a bare number is milliseconds;
- ratios, as ``0.1%`` or ``0.001``: ``fail`` (failed / finished operations), ``late``
  (late / sent);
- counts: ``skipped unsupported aborted``, and from reconciliation (no ``[OP]``):
  ``lost duplicated mismatched unverified``.

A check on something with no samples fails (there is nothing to vouch for).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from loadtest.replay.hdr import ALL, PERCENTILES

_STATS = (*(name for name, _ in PERCENTILES), "max", "mean")
_TIME_KINDS = {"": "sched", "send_": "send", "lag_": "lag"}
TIME_METRICS = {f"{prefix}{s}": (kind, s) for prefix, kind in _TIME_KINDS.items() for s in _STATS}
RATIO_METRICS = {"fail": ("failed", ("ok", "failed")), "late": ("late", ("sent",))}
COUNT_METRICS = ("skipped", "unsupported", "aborted")
RECONCILE_METRICS = ("lost", "duplicated", "mismatched", "unverified")
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "<": operator.lt,
    ">": operator.gt,
    "=": operator.eq,
}
_CHECK = re.compile(
    r"\s*(?P<metric>[a-z_0-9]+)(?:\[(?P<scope>[a-z_.]+)\])?\s*(?P<cmp><=|>=|<|>|=)\s*"
    r"(?P<number>\d+(?:\.\d*)?|\.\d+)\s*(?P<unit>us|µs|ms|s|%)?\s*"
)
_TIME_UNIT_MS = {"us": 1e-3, "µs": 1e-3, "ms": 1.0, "s": 1000.0, None: 1.0}


class CheckError(ValueError):
    """A check expression cannot be parsed; the message names the bad part."""


@dataclass(frozen=True)
class Check:
    """One parsed threshold; ``threshold`` is in ms for times, a fraction for ratios."""

    text: str
    metric: str
    scope: str
    compare: str
    threshold: float

    def measure(self, results: dict[str, Any]) -> float | None:
        """The metric's value in ``results`` (as written by the coordinator), or None."""
        if self.metric in RECONCILE_METRICS:
            reconcile = results.get("reconcile") or {}
            return float(reconcile[self.metric]) if reconcile.get("configured") else None
        op = results["ops"].get(self.scope)
        if op is None:
            return None
        if self.metric in TIME_METRICS:
            kind, stat = TIME_METRICS[self.metric]
            value = op[kind][stat]
            return None if value is None else float(value)
        counts = op["counts"]
        if self.metric in RATIO_METRICS:
            numerator, denominator = RATIO_METRICS[self.metric]
            total = sum(counts[c] for c in denominator)
            return counts[numerator] / total if total else None
        return float(counts[self.metric])

    def evaluate(self, results: dict[str, Any]) -> dict[str, Any]:
        """This check against ``results``: the value measured and whether it passed."""
        value = self.measure(results)
        passed = value is not None and _COMPARE[self.compare](value, self.threshold)
        return {"check": self.text, "value": value, "passed": passed}


def _threshold(metric: str, number: float, unit: str | None, text: str) -> float:
    if metric in TIME_METRICS:
        if unit == "%":
            raise CheckError(f"{text!r}: {metric} is a time (us, ms, s)")
        return number * _TIME_UNIT_MS[unit]
    if metric in RATIO_METRICS:
        if unit not in (None, "%"):
            raise CheckError(f"{text!r}: {metric} is a ratio (e.g. 0.1% or 0.001)")
        return number / 100 if unit == "%" else number
    if unit is not None:
        raise CheckError(f"{text!r}: {metric} is a count (no unit)")
    return number


def parse_checks(text: str) -> list[Check]:
    """Parse a comma-separated list of checks.

    Raises:
        CheckError: naming the first bad check.
    """
    checks = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        match = _CHECK.fullmatch(part)
        if match is None:
            raise CheckError(f"{part!r}: expected METRIC[OP]<VALUE, e.g. p99<500ms")
        metric, scope = match["metric"], match["scope"]
        known = (*TIME_METRICS, *RATIO_METRICS, *COUNT_METRICS, *RECONCILE_METRICS)
        if metric not in known:
            raise CheckError(f"{part!r}: unknown metric {metric!r} (known: {', '.join(known)})")
        if scope is not None and metric in RECONCILE_METRICS:
            raise CheckError(f"{part!r}: {metric} counts cases, not operations; drop [{scope}]")
        threshold = _threshold(metric, float(match["number"]), match["unit"], part)
        checks.append(Check(part, metric, scope or ALL, match["cmp"], threshold))
    return checks
