"""The replay's settings, as Locust custom command-line options (``--replay-*``).

They are registered on Locust's parser (``events.init_command_line_parser``), so they are
accepted on Locust's command line, appear in the web UI's start form, and are forwarded by the
master to its workers.
``gridsim loadtest`` builds the same options with :meth:`Settings.to_argv`.
"""

from __future__ import annotations

import ipaddress
from argparse import Namespace
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import urlparse

from loadtest.replay.schedule import parse_duration

DEFAULT_OUT = "out/replay"
RESULTS_FILE = "results.json"  # in --replay-out: everything measured (see coordinator.results)
HDR_FILE = "hdr.json"  # in --replay-out: the merged histograms, HdrHistogram-encoded

# (option, default, help); every value travels as text so the web UI can edit it.
_OPTIONS: tuple[tuple[str, str, str], ...] = (
    ("trace", "", "Trace file to replay (.parquet or .jsonl), as `gridsim trace` writes it."),
    ("profile", "reference", "Platform profile: reference, open311, szcg-example or a TOML path."),
    ("speedup", "60", "Replay this many times faster than the trace's clock."),
    ("max-idle", "", "Shorten any idle gap (after speed-up) to this, e.g. 5s; empty: keep."),
    ("max-requests", "", "Send at most the first N operations the profile supports."),
    ("max-duration", "", "Send only operations due within this, e.g. 60s; then stop."),
    ("tokens", "", "JSON {user id: bearer token} from `gridsim platform seed --tokens`."),
    ("check", "", "Pass/fail thresholds, e.g. 'p99<500ms,fail<0.1%,lag_p99<50ms'."),
    ("out", DEFAULT_OUT, "Folder for results.json, hdr.json, report.html and CSV tables."),
    ("connections", "256", "Most operations in flight per worker (and HTTP connections)."),
    ("late-after", "10ms", "A send this much after its scheduled time counts as late."),
    ("drain", "10s", "After --max-duration, time left for operations in flight."),
    ("report", "on", "on: also write report.html (charts) and CSV tables; off: JSON only."),
)
_SWITCH = {"on": True, "true": True, "yes": True, "off": False, "false": False, "no": False}


def _dest(option: str) -> str:
    return "replay_" + option.replace("-", "_")


def add_arguments(parser: Any) -> None:
    """Register the ``--replay-*`` options on Locust's argument parser."""
    group = parser.add_argument_group("gridsim replay", "Open-loop replay of a gridsim trace.")
    for option, default, help_text in _OPTIONS:
        group.add_argument(
            f"--replay-{option}",
            type=str,
            default=default,
            help=help_text,
            env_var=f"LOCUST_REPLAY_{option.upper().replace('-', '_')}",
        )


def _is_loopback(host: str) -> bool:
    # The platform's own check (loadtest.platform.cli.is_loopback) sits in a module that pulls
    # in SQLAlchemy, a second and a half of start-up for every Locust process.
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_host(url: str | None) -> None:
    """Refuse any target but this machine (127.0.0.0/8, ::1, localhost): traffic elsewhere is
    not allowed here.

    Raises:
        ValueError: naming the host.
    """
    host = urlparse(url or "").hostname
    if host is None or not _is_loopback(host):
        raise ValueError(f"refusing host {url!r}: only loopback (127.0.0.0/8, ::1, localhost)")


def _switch(text: str) -> bool:
    value = _SWITCH.get(text.strip().lower())
    if value is None:
        raise ValueError(f"expected on or off, not {text!r}")
    return value


def _optional(text: str, parse: Any) -> Any:
    return parse(text) if text.strip() else None


@dataclass(frozen=True)
class Settings:
    """The parsed, checked replay options."""

    trace: str
    profile: str = "reference"
    speedup: float = 60.0
    max_idle: float | None = None
    max_requests: int | None = None
    max_duration: float | None = None
    tokens: str | None = None
    check: str = ""
    out: str = DEFAULT_OUT
    connections: int = 256
    late_after: float = 0.010
    drain: float = 10.0
    report: bool = True

    def __post_init__(self) -> None:
        if self.speedup <= 0:
            raise ValueError("--replay-speedup must be positive")
        if self.connections < 1:
            raise ValueError("--replay-connections must be at least 1")
        if self.max_requests is not None and self.max_requests < 1:
            raise ValueError("--replay-max-requests must be at least 1")

    @classmethod
    def from_options(cls, options: Namespace) -> Settings:
        """Settings from Locust's parsed options.

        Raises:
            ValueError: one line naming the bad option.
        """
        raw = {o: str(getattr(options, _dest(o), d) or "") for o, d, _ in _OPTIONS}
        if not raw["trace"]:
            raise ValueError("--replay-trace is required")
        try:
            return cls(
                trace=raw["trace"],
                profile=raw["profile"] or "reference",
                speedup=float(raw["speedup"]),
                max_idle=_optional(raw["max-idle"], parse_duration),
                max_requests=_optional(raw["max-requests"], int),
                max_duration=_optional(raw["max-duration"], parse_duration),
                tokens=raw["tokens"] or None,
                check=raw["check"],
                out=raw["out"] or DEFAULT_OUT,
                connections=int(raw["connections"]),
                late_after=parse_duration(raw["late-after"]),
                drain=parse_duration(raw["drain"]),
                report=_switch(raw["report"]),
            )
        except ValueError as exc:
            raise ValueError(f"replay options: {exc}") from None

    def to_argv(self) -> list[str]:
        """These settings as ``--replay-*`` arguments (durations in seconds)."""
        argv: list[str] = []
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool):
                value = "on" if value else "off"
            if value is not None and value != "":
                argv += [f"--replay-{f.name.replace('_', '-')}", str(value)]
        return argv
