"""Open-loop replay of a gridsim trace against a case platform, on Locust.

A trace (one row per platform operation, see design.md "The trace") is split by case across
Locust workers; each worker sends every operation at its scheduled time (trace time ÷ speed-up),
keeps each case's operations in order, captures the ids the platform returns, and records
latency from the scheduled time and from the actual send in HDR histograms that the master
merges. A profile (TOML, :mod:`loadtest.replay.profile`) maps operations onto one platform's
HTTP API; after the run every case is read back and its state compared with the trace.

Modules: ``trace`` (read, shard), ``schedule`` (timing), ``profile`` (mapping), ``transport``
(one HTTP exchange with retries), ``user`` (the Locust user and per-worker engine), ``hdr``
(histograms and counters), ``reconcile``, ``coordinator`` (master side and load shape),
``checks``, ``report``, ``options`` (the custom Locust options) and ``runner`` (headless runs).
"""
