"""One seed, one trace: byte-identical files in both formats; another seed, another trace."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.trace import write_trace
from tests.trace.conftest import traced_run


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl"])
def test_same_seed_same_bytes(tmp_path: Path, suffix: str) -> None:
    paths = []
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        path = tmp_path / f"{name}{suffix}"
        write_trace(traced_run("jiangsu", seed=seed, days=2).table, path)
        paths.append(path.read_bytes())
    a, b, c = paths
    assert a == b
    assert a != c
