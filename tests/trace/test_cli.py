"""`gridsim trace`: writes the file its suffix names and summarises it; bad output paths get
one line and exit code 2, before any simulation."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from sim.cli import main
from tests.conftest import SCENARIOS
from tests.model.conftest import SMALL


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        sys.argv = ["gridsim", *argv]
        main()
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def _trace(out: Path, *extra: str) -> list[str]:
    sets = [arg for s in SMALL for arg in ("--set", s)]
    return ["trace", str(SCENARIOS / "district-jiangsu.toml"), "--days", "1", "--seed", "3",
            "--out", str(out), *sets, *extra]


def test_trace_writes_jsonl_and_summarises(tmp_path: Path, capsys) -> None:
    out = tmp_path / "trace.jsonl"
    code, stdout, _ = _run(_trace(out, "--json", "--speedup", "120"), capsys)
    assert code == 0
    summary = json.loads(stdout)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert summary["total"] == len(lines) == sum(summary["operations"].values())
    assert summary["speedup"] == 120 and summary["out"] == str(out)
    assert summary["peak_per_s"]["speedup"] >= summary["peak_per_s"]["1x"] > 0
    assert summary["duration_s"] == 86400


def test_trace_prints_a_table(tmp_path: Path, capsys) -> None:
    out = tmp_path / "trace.parquet"
    code, stdout, _ = _run(_trace(out), capsys)
    assert code == 0 and out.stat().st_size > 0
    assert "case.report" in stdout and "peak ops/s" in stdout and str(out) in stdout


@pytest.mark.parametrize(("name", "reason"), [
    ("trace.csv", "unknown trace format '.csv'"),
    ("trace", "unknown trace format '(no suffix)'"),
    ("file.txt/trace.parquet", "no such directory"),
    ("missing/trace.jsonl", "no such directory"),
    (".", "unknown trace format"),
    ("dir.parquet", "is a directory"),
])
def test_bad_output_is_one_line_exit_2(tmp_path: Path, capsys, name: str, reason: str) -> None:
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "dir.parquet").mkdir()
    code, stdout, err = _run(_trace(tmp_path / name), capsys)
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1 and reason in err
    assert "simulating" not in stdout
