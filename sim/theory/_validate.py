"""Argument checks shared by the queueing formulas: one clear ValueError per bad input."""

from __future__ import annotations

import math
import operator


def positive(name: str, value: float) -> float:
    """Return ``value`` as a float, or raise ValueError unless it is finite and > 0."""
    number = float(value)
    if not (math.isfinite(number) and number > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return number


def non_negative(name: str, value: float) -> float:
    """Return ``value`` as a float, or raise ValueError unless it is finite and >= 0."""
    number = float(value)
    if not (math.isfinite(number) and number >= 0):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return number


def probability_target(name: str, value: float) -> float:
    """Return ``value`` as a float, or raise ValueError unless 0 < value < 1.

    0 and 1 are excluded on purpose: 0 is met by any staffing and 1 by none.
    """
    number = float(value)
    if not 0 < number < 1:
        raise ValueError(f"{name} must be strictly between 0 and 1, got {value!r}")
    return number


def servers(name: str, value: int, minimum: int) -> int:
    """Return ``value`` as an int, or raise ValueError unless it is an integer >= ``minimum``."""
    # operator.index accepts int and numpy integers but rejects 2.5 and "3"; bool is an int
    # subclass yet almost certainly a bug here, so it is rejected explicitly.
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    try:
        count = operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}") from None
    if count < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return count
