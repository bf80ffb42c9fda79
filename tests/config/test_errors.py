"""Malformed scenarios: one line naming the file, the key path and the reason; exit code 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli import main


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


HOLIDAYS = "calendars/cn-public-holidays.toml"

# (id, file to edit, old text, new text, expected file, expected key, words in the reason)
CASES = [
    ("unknown-key", "worlds/district.toml", 'name = "district"', 'name = "district"\ncolour = 1',
     "worlds/district.toml", "colour", "unknown key"),
    ("wrong-type", "worlds/district.toml", "count = 1", 'count = "one"',
     "worlds/district.toml", "counties.0.count", "integer"),
    ("negative-rate", "workloads/standard.toml", "rate_per_1000_households_per_day = 0.50",
     "rate_per_1000_households_per_day = -0.5", "workloads/standard.toml",
     "types.info_population.rate_per_1000_households_per_day", "greater than or equal to 0"),
    ("household-range", "rules/jiangsu.toml", "households_min = 300", "households_min = 600",
     "rules/jiangsu.toml", "grids.urban", "households_min 600 > households_max 500"),
    ("no-full-time", "staffing/standard.toml", "full_time_per_urban_grid = 1",
     "full_time_per_urban_grid = 0", "staffing/standard.toml",
     "grid_workers.full_time_per_urban_grid", "require a full-time worker"),
    ("deadline-too-short", "workloads/standard.toml", "deadline_hours = 16",
     "deadline_hours = 0.05",
     "workloads/standard.toml", "types.info_population", "shorter than the fastest handling"),
    ("sharing-not-allowed", "staffing/standard.toml", "grids_per_full_time = 1",
     "grids_per_full_time = 2", "staffing/standard.toml", "grid_workers.grids_per_full_time",
     "at most 1 grid"),
    ("no-provenance", "rules/jiangsu.toml", 'min_age = 18\ncite = "000 第十四条"', "min_age = 18",
     "rules/jiangsu.toml", "qualifications", "needs 'cite'"),
    ("bad-citation", "rules/jiangsu.toml", 'cite = "000 第十四条"', 'cite = "Article 14"',
     "rules/jiangsu.toml", "qualifications", "must start with the seed number"),
    ("toml-syntax", "worlds/district.toml", "count = 1", "count = = 1",
     "worlds/district.toml", "(top level)", "not valid TOML"),
    ("missing-part", "district-jiangsu.toml", 'world = "worlds/district.toml"',
     'world = "worlds/atlantis.toml"', "worlds/atlantis.toml", "(top level)", "file not found"),
    ("urgency-sum", "workloads/standard.toml",
     "urgency = { routine = 1.0, urgent = 0.0, emergency = 0.0 }",
     "urgency = { routine = 0.7, urgent = 0.0, emergency = 0.0 }",
     "workloads/standard.toml", "types.info_population", "summing to 1"),
    ("override-in-scenario", "district-jiangsu.toml", 'staffing = "staffing/standard.toml"',
     'staffing = "staffing/standard.toml"\n\n[staffing.centres]\ncounty = -3',
     "district-jiangsu.toml", "staffing.centres.county", "greater than 0"),
    ("bad-shift", "staffing/standard.toml",
     "hours_per_day = 8\nworkdays = [0, 1, 2, 3, 4]\nstart_hour = 8.5",
     "hours_per_day = 8\nworkdays = [0, 1, 2, 3, 9]\nstart_hour = 8.5",
     "staffing/standard.toml", "shifts.full_time", "weekday numbers"),
    ("holiday-bad-date", HOLIDAYS, "2024-06-10,", '"2024-06-31",', HOLIDAYS,
     "years.2024.holidays.17", "valid date"),
    ("holiday-wrong-year", HOLIDAYS, "2024-01-01,", "2023-12-31,", HOLIDAYS, "years",
     "2024 lists 2023-12-31"),
    ("holiday-and-makeup-day", HOLIDAYS, "2024-10-12", "2024-10-05", HOLIDAYS, "years.2024",
     "2024-10-05 is both a holiday and a make-up working day"),
    ("makeup-on-a-weekday", HOLIDAYS, "2024-10-12", "2024-10-11", HOLIDAYS, "years.2024",
     "2024-10-11 is a Friday"),
    ("holiday-source-missing", HOLIDAYS, 'source = "国务院办公厅关于2024年', '# "', HOLIDAYS,
     "years.2024.source", "required key is missing"),
    ("missing-holiday-file", "district-jiangsu.toml", f'holidays = "{HOLIDAYS}"',
     'holidays = "calendars/nowhere.toml"', "calendars/nowhere.toml", "(top level)",
     "file not found"),
]


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exc:
        sys.argv = ["gridsim", *argv]
        main()
    return int(exc.value.code or 0), capsys.readouterr().err


@pytest.mark.parametrize(("case", "file", "old", "new", "where", "key", "reason"), CASES,
                         ids=[c[0] for c in CASES])
def test_malformed_scenario_gives_one_line(scenario_copy: Path, capsys, case, file, old, new,
                                           where, key, reason) -> None:
    _edit(scenario_copy / file, old, new)
    code, err = _run(["world", str(scenario_copy / "district-jiangsu.toml")], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    line = lines[0]
    assert "Traceback" not in err
    assert line.startswith(f"error: {scenario_copy / where}: {key}: "), line
    assert reason in line, line


def test_bad_set_override(capsys) -> None:
    from tests.conftest import SCENARIOS

    code, err = _run(["world", str(SCENARIOS / "district-jiangsu.toml"), "--set",
                      "staffing.grid_workers.grids_per_full_time=3", "--rules", "qingdao"], capsys)
    assert code == 0, err  # Qingdao lets one full-time worker cover up to 3 grids
    code, err = _run(["world", str(SCENARIOS / "district-jiangsu.toml"), "--set",
                      "staffing.grid_workers.grids_per_full_time=4", "--rules", "qingdao"], capsys)
    assert code == 2
    assert "grid_workers.grids_per_full_time" in err and "at most 3 grid(s)" in err
    code, err = _run(["world", str(SCENARIOS / "district-jiangsu.toml"), "--set",
                      "weather.rain=1"], capsys)
    assert code == 2 and err.startswith("error: --set: weather.rain: must start with")


def test_cli_subprocess_has_no_traceback(scenario_copy: Path) -> None:
    _edit(scenario_copy / "worlds/district.toml", "count = 1", "count = 0")
    proc = subprocess.run([sys.executable, "-m", "sim.cli", "world",
                           str(scenario_copy / "district-jiangsu.toml")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "counties.0.count" in proc.stderr and "Traceback" not in proc.stderr
