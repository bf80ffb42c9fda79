"""The replay's parts without Locust: timing, traces and shards, profiles, histograms, checks,
reconciliation merging and the report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loadtest.replay.checks import CheckError, parse_checks
from loadtest.replay.hdr import (
    COUNTERS,
    PERCENTILES,
    Aggregate,
    Recorder,
    new_histogram,
    record_many,
    summarise,
)
from loadtest.replay.options import Settings, check_host
from loadtest.replay.profile import (
    BUILTIN,
    MISSING,
    JsonPath,
    ProfileError,
    Template,
    TemplateError,
    load_profile,
)
from loadtest.replay.reconcile import merge
from loadtest.replay.schedule import offsets, parse_duration, window
from loadtest.replay.trace import OPS, Trace, TraceError, check_trace, shard_of
from tests.loadtest.conftest import FAKE_PROFILE
from tests.loadtest.tracegen import TraceBuilder

W = ("grid_worker", "W0000001", "3700000000000000001")
G = "3700000000000000001"


# --- timing -------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "seconds"), [
    ("250ms", 0.25), ("5s", 5.0), ("2m", 120.0), ("1h", 3600.0), ("100us", 1e-4), ("1.5", 1.5),
])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "-1s", "5 parsecs", "ms"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_offsets_divide_by_speedup_and_shorten_idle_gaps() -> None:
    t = np.array([100.0, 160.0, 160.0, 3760.0, 3820.0])
    assert offsets(t, 60).tolist() == pytest.approx([0, 1, 1, 61, 62])
    assert offsets(t, 60, max_idle=5).tolist() == pytest.approx([0, 1, 1, 6, 7])


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=50), st.floats(0.1, 1000))
def test_offsets_keep_order_and_never_speed_up_more(ts: list[float], speedup: float) -> None:
    t = np.sort(np.array(ts))
    due = offsets(t, speedup, max_idle=2.0)
    assert due[0] == 0 and np.all(np.diff(due) >= 0)
    assert np.all(np.diff(due) <= np.diff(t) / speedup + 1e-9)


def test_window_is_a_prefix_bounded_by_duration_and_request_count() -> None:
    due = np.arange(10.0)
    countable = np.array([True, False] * 5)  # every other op is unsupported
    assert window(due, countable) == 10
    assert window(due, countable, max_duration=4.5) == 5
    assert window(due, countable, max_requests=3) == 6  # 3 countable ops, and those between
    assert window(due, countable, max_duration=2.0, max_requests=3) == 3


# --- traces and shards ------------------------------------------------------------------------


def _small_trace() -> TraceBuilder:
    b = TraceBuilder()
    for n in range(6):
        case = f"C{n:08d}"
        b.add(n * 10, "case.report", W, G, case, service_code="city.litter", at="x")
        b.add(n * 10 + 25, "case.close", W, G, case)
    b.add(3, "patrol.start", W, G, patrol="P00000001")
    b.add(4, "patrol.end", W, G, patrol="P00000001")
    b.add(5, "visit.record", W, G, household="H1")
    return b


def test_parquet_and_jsonl_read_the_same(tmp_path: Path) -> None:
    b = _small_trace()
    parquet = Trace(b.write(tmp_path / "t.parquet"))
    jsonl = Trace(b.write(tmp_path / "t.jsonl"))
    assert parquet.table.num_rows == jsonl.table.num_rows == 15
    for name in ("seq", "t", "op", "actor_id", "case", "grid"):
        assert parquet.table.column(name).to_pylist() == jsonl.table.column(name).to_pylist()
    as_json = lambda tr: [json.loads(p) for p in tr.table.column("payload").to_pylist()]  # noqa: E731
    assert as_json(parquet) == as_json(jsonl)
    assert parquet.lanes == jsonl.lanes
    assert {lane[:2] for lane in parquet.lanes} == {"c:", "p:", ""}
    assert parquet.digest != jsonl.digest  # keys derive from the file's bytes


def test_shards_keep_lanes_together_and_are_stable(tmp_path: Path) -> None:
    trace = Trace(_small_trace().write(tmp_path / "t.parquet"))
    shards = trace.shard_index(3)
    by_lane: dict[str, set[int]] = {}
    for lane, shard in zip(trace.lanes, shards, strict=True):
        if lane:
            by_lane.setdefault(lane, set()).add(int(shard))
    assert all(len(s) == 1 for s in by_lane.values())
    assert shard_of("c:C00000001", 4) == 2  # CRC-32: the same on every machine, every run


def test_trace_errors_are_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nope.parquet"
    with pytest.raises(TraceError, match="no such trace file"):
        check_trace(missing)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"seq": 0}\n')
    with pytest.raises(TraceError, match="missing trace field"):
        check_trace(bad)
    with pytest.raises(TraceError, match=r"bad.jsonl:1: not a trace row"):
        Trace(bad)


def test_ops_match_the_exporters() -> None:
    # The exporter's package is heavy to import (the whole model), so compare in a subprocess.
    code = "from sim.trace.schema import OPS; print(','.join(OPS))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert tuple(out.stdout.strip().split(",")) == OPS


# --- profiles ----------------------------------------------------------------------------------

CONTEXT = {
    "case": "C00000042", "grid": G, "ids": {"case": 17}, "token": "tok",
    "payload": {"lat": 36.5, "urgency": None, "reporter": {"name": "王五"}, "household": 7},
}


def test_templates_keep_types_fall_back_and_fail_loudly() -> None:
    assert Template.parse("{payload.lat}").value(CONTEXT) == 36.5
    assert Template.parse("{payload.urgency}").value(CONTEXT) is None  # null is a value
    assert Template.parse("{payload.missing}").value(CONTEXT) is MISSING
    assert Template.parse("{payload.missing|payload.lat}").value(CONTEXT) == 36.5
    assert Template.parse("{payload.missing|'routine'}").value(CONTEXT) == "routine"
    assert Template.parse("{payload.household!s}").value(CONTEXT) == "7"
    assert Template.parse("/c/{ids.case}/x {{y}}").text(CONTEXT) == "/c/17/x {y}"
    assert Template.parse("/q/{payload.reporter.name}").text(CONTEXT, escape=True) == (
        "/q/%E7%8E%8B%E4%BA%94"
    )
    with pytest.raises(TemplateError) as info:
        Template.parse("/c/{ids.patrol}").text(CONTEXT)
    assert info.value.field == "ids.patrol"
    for bad in ("{a b}", "{", "x}"):
        with pytest.raises(ValueError):
            Template.parse(bad)


def test_json_path_lite() -> None:
    doc = {"items": [{"id": 1}, {"id": 2}], "case": {"state": "closed"}}
    assert JsonPath.parse("$.case.state").find(doc) == "closed"
    assert JsonPath.parse("$.items[1].id").find(doc) == 2
    assert JsonPath.parse("$[0].id").find([{"id": "9"}]) == "9"
    assert JsonPath.parse("$.items[5]").find(doc) is MISSING
    with pytest.raises(ValueError):
        JsonPath.parse("items")


@pytest.mark.parametrize("name", BUILTIN)
def test_builtin_profiles_load(name: str) -> None:
    profile = load_profile(name)
    assert profile.fetch is not None
    assert set(profile.steps) <= set(OPS)


def test_reference_profile_maps_every_operation_and_renders_a_report() -> None:
    profile = load_profile("reference")
    assert set(profile.steps) == set(OPS)
    context = {**CONTEXT, "at": "2024-01-01T08:00:00+08:00", "idempotency_key": "k-1",
               "payload": {"service_code": "city.litter", "lat": None, "long": None,
                           "reporter": {"name": "王五", "phone": "1"}}}
    step = profile.select("case.report", context)
    assert step is not None and step.state == "reported"
    request = step.render(context)
    assert (request.method, request.path) == ("POST", "/api/cases")
    assert request.headers["Idempotency-Key"] == "k-1"
    body = json.loads(request.body or b"")
    assert body["external_id"] == "C00000042" and body["location"] == {"lat": None, "lon": None}
    assert "urgency" not in body  # absent in the payload: left out, the platform's default
    read = profile.select("resident.query", context)
    assert read is not None and "Idempotency-Key" not in read.render(context).headers


def test_variants_choose_by_payload() -> None:
    profile = load_profile("reference")
    state = lambda op, **payload: getattr(  # noqa: E731
        profile.select(op, {**CONTEXT, "payload": payload}), "state", "unsupported")
    assert state("case.handle", resolved=True, on_spot=True) == "resolved_on_spot"
    assert state("case.handle", resolved=True, on_spot=False) == "handled"
    assert state("case.verify", passed=False) == "rework"
    assert state("case.dispatch", to="dept:police@county") == "dispatched"
    path = lambda op, **payload: profile.select(  # noqa: E731
        op, {**CONTEXT, "payload": payload}).path.text(CONTEXT)
    assert path("case.dispatch", to="township").endswith("/keep")  # the centre keeps it
    assert path("case.handle", resolved=False, on_spot=False).endswith("/handle")
    assert path("case.supervise", level="red").endswith("/supervise")
    assert path("case.supervise", level="coordination").endswith("/coordination")
    assert profile.select("case.supervise", {**CONTEXT, "payload": {"level": "green"}}) is None


def test_open311_posts_a_form() -> None:
    profile = load_profile("open311")
    context = {**CONTEXT, "idempotency_key": "k", "payload": {"service_code": "city.litter",
               "lat": 36.5, "long": 116.0, "reporter": {"name": "王五", "phone": "1"}}}
    step = profile.select("case.report", context)
    assert step is not None
    request = step.render(context)
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert b"attribute%5Bgrid%5D=" + G.encode() in (request.body or b"")
    assert not profile.supports("case.accept")


@pytest.mark.parametrize(("toml", "message"), [
    ('name = "x"\n[ops."case.reprot"]\npath = "/"\n', "unknown operation"),
    ('name = "x"\n[ops."case.report"]\npath = "/{ids.case"\n', r"ops\.case\.report"),
    ('name = "x"\n[ops."case.report"]\npath = "/"\ncapture = { case = "id" }\n', "JSONPath"),
    ('name = "x"\n[ops."case.report"]\npath = "/"\nwhen = { a = { matches = "(" } }\n', "regex"),
    ('name = "x"\n[ops."case.report"]\npath = "/"\nmethd = "GET"\n', "methd"),
    ('name = "x"\nepoch = "2024-01-01T00:00:00"\n', "UTC offset"),
    ("name = ", "profile"),
])
def test_profile_errors_are_one_line(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text(toml)
    with pytest.raises(ProfileError, match=message) as info:
        load_profile(str(path))
    assert "\n" not in str(info.value) and str(path) in str(info.value)


# --- histograms ---------------------------------------------------------------------------------


@settings(max_examples=30)  # hdrh's own per-value code, the reference here, is slow
@given(st.lists(st.integers(0, 3_600_000_000), min_size=1, max_size=300))
def test_record_many_equals_record_value(values: list[int]) -> None:
    one, many = new_histogram(), new_histogram()
    for v in values:
        one.record_value(v)
    record_many(many, np.array(values))
    assert list(one.counts) == list(many.counts)
    assert (one.min_value, one.max_value, one.total_count) == (
        many.min_value, many.max_value, many.total_count)


@settings(max_examples=30)
@given(st.lists(st.integers(0, 3_600_000_000), min_size=1, max_size=300))
def test_summaries_equal_hdrh_own(values: list[int]) -> None:
    h = new_histogram()
    record_many(h, np.array(values))
    summary = summarise(h)
    for name, q in PERCENTILES:
        assert summary[name] == h.get_value_at_percentile(q) / 1000
    assert summary["mean"] == pytest.approx(h.get_mean_value() / 1000)
    assert summary["max"] == h.get_max_value() / 1000


def test_worker_deltas_merge_into_the_histogram_of_all_samples() -> None:
    rng = np.random.default_rng(7)
    everything = new_histogram()
    aggregate = Aggregate()
    late = 0
    for _worker in range(3):
        rec = Recorder(late_after=0.01)
        for _report in range(2):  # as if two stats reports went to the master
            for lag in rng.exponential(0.005, 200):
                rec.sent("case.report", float(lag), 1.5, waited=False)
                rec.finished("case.report", True, float(lag) * 3, float(lag) * 2, 1.5)
                everything.record_value(int(lag * 3 * 1e6))
                late += bool(lag > 0.01)
            aggregate.merge(rec.take())
    summary = aggregate.summary()
    report = summary["ops"]["case.report"]
    assert report["counts"]["sent"] == report["counts"]["ok"] == 1200
    assert report["counts"]["late"] == late > 0
    for name, q in PERCENTILES:
        assert report["sched"][name] == everything.get_value_at_percentile(q) / 1000
    assert summary["timeline"] == [[1, 1200, 1200, 0, pytest.approx(report["lag"]["max"], 0.01)]]


# --- checks -------------------------------------------------------------------------------------


def _results(**counts: int) -> dict:
    base = {**dict.fromkeys(COUNTERS, 0), "due": 100, "ok": 99, "failed": 1, "sent": 100,
            "late": 5}
    lat = {"count": 100, "p50": 5.0, "p90": 9.0, "p95": 9.5, "p99": 12.0, "p999": 30.0,
           "max": 31.0, "mean": 6.0}
    return {"ops": {"all": {"counts": {**base, **counts}, "sched": lat, "send": lat,
                            "lag": {**lat, "p99": 2.0}}},
            "reconcile": {"configured": True, "lost": 0, "duplicated": 1, "mismatched": 0,
                          "unverified": 0}}


@pytest.mark.parametrize(("expr", "passed"), [
    ("p99<500ms", True), ("p99<12ms", False), ("p99<=12ms", True), ("p99<0.5s", True),
    ("send_p99<10", False), ("lag_p99<5ms", True), ("fail<2%", True), ("fail<0.5%", False),
    ("fail<0.02", True), ("late<=5%", True), ("duplicated=0", False), ("lost=0", True),
    ("p99[case.report]<1s", False),  # nothing measured for it: a check cannot vouch
])
def test_checks(expr: str, passed: bool) -> None:
    (check,) = parse_checks(expr)
    assert check.evaluate(_results())["passed"] is passed


@pytest.mark.parametrize("expr", ["p99<5%", "fail<3ms", "p42<1ms", "lost[case.report]=0",
                                  "p99", "skipped<1ms"])
def test_bad_checks(expr: str) -> None:
    with pytest.raises(CheckError):
        parse_checks(expr)


def test_many_checks_parse() -> None:
    checks = parse_checks("p99<500ms, fail<0.1%,lag_p99<50ms")
    assert [c.metric for c in checks] == ["p99", "fail", "lag_p99"]
    assert [c.threshold for c in checks] == [500.0, 0.001, 50.0]


# --- options, reconciliation, report -------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "http://127.8.9.1", "http://[::1]:80",
                                 "http://localhost:1/x"])
def test_loopback_hosts_pass(url: str) -> None:
    check_host(url)


@pytest.mark.parametrize("url", ["http://10.0.0.1:8000", "http://example.com", "http://[::2]",
                                 "127.0.0.1:8000", "http://127.0.0.1.nip.io", ""])
def test_other_hosts_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="refusing host"):
        check_host(url)


def test_settings_round_trip_through_argv() -> None:
    s = Settings(trace="t.parquet", speedup=30, max_idle=5.0, max_requests=10, check="p99<1s",
                 report=False)
    argv = s.to_argv()
    assert argv[argv.index("--replay-report") + 1] == "off"
    assert argv[argv.index("--replay-max-idle") + 1] == "5.0"
    with pytest.raises(ValueError):
        Settings(trace="t", speedup=0)


def test_reconciliations_merge() -> None:
    rows = lambda *cases: [{"case": c, "problem": "lost"} for c in cases]  # noqa: E731
    merged = merge([
        {"configured": True, "list_error": None, "checked": 3, "lost": 2, "duplicated": 0,
         "mismatched": 0, "unverified": 0, "strays": [["9", None]], "rows": rows("C2", "C1")},
        {"configured": True, "list_error": "status 500", "checked": 2, "lost": 0, "duplicated": 1,
         "mismatched": 1, "unverified": 0, "strays": [["9", None]], "rows": []},
    ])
    assert (merged["checked"], merged["lost"], merged["duplicated"]) == (5, 2, 1)
    assert merged["listed"] is False and merged["list_error"] == "status 500"
    assert merged["strays"] == [("9", None)]
    assert [r["case"] for r in merged["rows"]] == ["C1", "C2"]


def test_report_writes_html_csv_and_charts(tmp_path: Path) -> None:
    from loadtest.replay.report import write

    results = _results()
    results["ops"]["case.report"] = results["ops"]["all"]
    results["reconcile"].update(checked=100, listed=True, list_error=None, strays=[], rows=[
        {"case": "C1", "problem": "duplicated", "expected": "closed", "actual": None,
         "copies": 2, "last_ok": "case.close", "failed_op": None, "failure": None}])
    results.update(
        meta={"trace": "t.parquet", "host": "http://127.0.0.1:1", "profile": "reference",
              "reason": "completed"},
        timeline=[[0, 10, 10, 0, 1.5], [1, 12, 11, 1, 2.5]], reasons=[["case.report",
                                                                        "status 409", 1]],
        shards=[{"shard": 0, "pid": 1, "rows": 100, "started": 1.0, "finished": 2.0,
                 "cpu_s": 0.5}],
        checks=[{"check": "p99<500ms", "value": 12.0, "passed": True}], problems=[],
        warnings=["the workers were busy"],
        passed=False,
    )
    html = write(results, tmp_path)
    assert html.is_file() and "Trace replay" in html.read_text(encoding="utf-8")
    assert {p.name for p in (tmp_path / "charts").iterdir()} == {
        "latency_p99.png", "throughput.png", "lag.png"}
    assert (tmp_path / "tables" / "reconcile_problems.csv").read_text(encoding="utf-8-sig") \
        .splitlines()[1].startswith("C1,duplicated")


def test_the_cli_side_never_imports_locust() -> None:
    # Importing locust monkey-patches the process; the CLI must stay an ordinary process.
    code = ("import sys, sim.cli.loadtest, loadtest.replay.runner, loadtest.replay.report;"
            "print('locust' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_fake_profile_loads() -> None:
    assert load_profile(FAKE_PROFILE).lister is not None
