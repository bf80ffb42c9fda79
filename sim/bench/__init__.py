"""Benchmarks (`gridsim bench`): figures measured in one run against a baseline, never asserted."""
