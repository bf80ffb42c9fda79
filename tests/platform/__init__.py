"""Tests of the reference case platform (loadtest.platform)."""
