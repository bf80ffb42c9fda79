"""Relative arrival intensity over the week (mean 1), from the workload's hourly/weekly profile."""

from __future__ import annotations

import numpy as np

from sim.config.workload import Profile


def weekly_intensity(profile: Profile) -> np.ndarray:
    """168 hourly multipliers with mean 1 (hour 0 = Monday 00:00)."""
    hourly = np.asarray(profile.hourly, dtype=float)
    weekly = np.asarray(profile.weekly, dtype=float)
    grid = np.outer(weekly / weekly.mean(), hourly / hourly.mean())
    return grid.ravel()


def intensity_at(weekly: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Multiplier at times ``t`` (hours)."""
    return weekly[(np.floor(t).astype(np.int64)) % 168]
