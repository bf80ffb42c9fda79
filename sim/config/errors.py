"""The one error a user sees for a bad scenario: file, key path and reason on one line."""

from __future__ import annotations


class ScenarioError(Exception):
    """A scenario (or one of its parts) is malformed or breaks a rule.

    Rendered as ``<file>: <key.path>: <reason>`` so the CLI can print it on one line.
    """

    def __init__(self, file: str, key: str, reason: str) -> None:
        self.file = file
        self.key = key
        self.reason = " ".join(reason.split())  # keep it on one line
        super().__init__(f"{file}: {key or '(top level)'}: {self.reason}")
