"""`gridsim loadtest`: loopback only, one-line usage errors, a bounded run whose failing check
fails it, and the report it writes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from loadtest.replay.schedule import offsets, window
from sim.cli import main
from tests.loadtest.conftest import FAKE_PROFILE
from tests.loadtest.fakes import FakePlatform
from tests.loadtest.tracegen import TraceBuilder

W = ("grid_worker", "W0000001", "3700000000000000001")
G = "3700000000000000001"


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        sys.argv = ["gridsim", "loadtest", *argv]
        main()
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


@pytest.fixture
def trace(tmp_path: Path) -> Path:
    b = TraceBuilder()
    for n in range(15):  # 15 cases of three steps and 15 visits over 4 s at ×10
        b.add(n * 2.6, "case.report", W, G, f"C{n:08d}")
        b.add(n * 2.6 + 1, "case.accept", W, G, f"C{n:08d}")
        b.add(n * 2.6 + 2, "case.close", W, G, f"C{n:08d}")
        b.add(n * 2.6 + 0.5, "visit.record", W, G, household=f"H{n}")
    return b.write(tmp_path / "trace.parquet")


@pytest.mark.parametrize("host", ["http://10.0.0.8:8000", "https://example.com",
                                  "http://192.168.1.2", "http://[2001:db8::1]:80"])
def test_only_this_machine_is_a_target(trace: Path, tmp_path: Path, host: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run([str(trace), "--host", host, "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "refusing host" in err
    assert not (tmp_path / "o").exists()  # refused before anything started


@pytest.mark.parametrize(("extra", "message"), [
    (["--check", "p99<5parsecs"], "expected METRIC"),
    (["--profile", "nonesuch"], "no such profile"),
    (["--max-idle", "soon"], "--max-idle"),
    (["--tokens", "/nonexistent/tokens.json"], "tokens.json"),
])
def test_usage_errors_are_one_line(trace: Path, tmp_path: Path, extra: list[str], message: str,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    argv = [str(trace), "--host", "http://127.0.0.1:9", "--out", str(tmp_path / "o"), *extra]
    code, _, err = _run(argv, capsys)
    assert code == 2 and err.count("\n") == 1 and message in err


def test_missing_trace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [str(tmp_path / "none.parquet"), "--host", "http://127.0.0.1:9", "--out",
            str(tmp_path / "o")]
    code, _, err = _run(argv, capsys)
    assert code == 2 and "no such trace file" in err


def test_a_bounded_run_fails_on_a_crossed_threshold_and_writes_its_report(
    trace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    with FakePlatform() as fake:
        argv = [str(trace), "--host", fake.url, "--profile", FAKE_PROFILE, "--speedup", "10",
                "--out", str(out), "--max-requests", "50", "--max-duration", "3s",
                "--check", "fail<1%,p99<1us"]
        code, stdout, _ = _run(argv, capsys)
    assert code == 1
    assert "check p99<1us: FAIL" in stdout and "check fail<1%: pass" in stdout
    results = json.loads((out / "results.json").read_text())
    assert [c["passed"] for c in results["checks"]] == [True, False]

    # the bounds cut the same prefix window() computes from the trace
    t = np.array(sorted(n * 2.6 + d for n in range(15) for d in (0, 0.5, 1, 2)))
    end = window(offsets(t, 10), np.ones(t.size, bool), max_duration=3, max_requests=50)
    counts = results["ops"]["all"]["counts"]
    assert counts["due"] == counts["ok"] == end < 50 and counts["cut"] == t.size - end
    assert len(fake.hits) == end + sum(1 for h in fake.hits if "cursor" in h.path
                                       or h.path.startswith("/by-ext/"))

    html = (out / "report.html").read_text(encoding="utf-8")
    assert "FAILED" in html and "p99&lt;1us" in html
    for table in ("operations", "send_lag", "checks", "reconcile", "timeline"):
        assert (out / "tables" / f"{table}.csv").is_file()
    assert {p.name for p in (out / "charts").iterdir()} == {"latency_p99.png", "throughput.png",
                                                             "lag.png"}
