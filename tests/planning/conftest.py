"""Small, fast set-ups for the planner and researcher tools, and report checks."""

from __future__ import annotations

import base64
import csv
import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import sim.cli.compare
import sim.cli.deadlines
import sim.cli.size
import sim.cli.sweep  # noqa: F401  (registers the commands on the app)
from sim.cli import app
from tests.conftest import SCENARIOS

DISTRICT = SCENARIOS / "district-jiangsu.toml"
# Two townships (one urban, one rural) of a few communities: runs take well under a second.
SMALL = (
    'world.counties=[{kind="district", count=1, urban_townships=1, rural_townships=1}]',
    "world.communities_per_urban_township.min=3",
    "world.communities_per_urban_township.max=4",
    "world.villages_per_rural_township.min=6",
    "world.villages_per_rural_township.max=8",
)
PNG = b"\x89PNG\r\n\x1a\n"


def small_args(*extra: str) -> list[str]:
    """``--set`` options for the small world (plus ``extra`` overrides)."""
    return [a for s in (*SMALL, *extra) for a in ("--set", s)]


def gridsim(*args: str) -> Result:
    """Run a gridsim command in-process (exceptions are kept in the result)."""
    return CliRunner().invoke(app, [str(a) for a in args])


def gridsim_process(*args: str) -> subprocess.CompletedProcess[str]:
    """Run gridsim as the user does, through ``main()`` (one-line errors, exit codes)."""
    return subprocess.run([sys.executable, "-m", "sim.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=120, check=False)


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.tables = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append(dict(attrs)["src"] or "")
        self.tables += tag == "table"


def check_report(out: Path, promised: dict[str, set[str]]) -> dict[str, list[dict[str, str]]]:
    """Assert that the report folder is complete and return its tables' CSV rows by name.

    The HTML parses and embeds one PNG per chart; every chart the manifest names exists as a
    valid PNG; every table has a CSV and JSON; the ``promised`` tables exist with (at least)
    their promised columns.
    """
    page = _Page()
    page.feed((out / "report.html").read_text(encoding="utf-8"))
    page.close()
    manifest = json.loads((out / "report.json").read_text(encoding="utf-8"))
    charts = [c for s in manifest["sections"] for c in s["charts"]]
    tables = [t for s in manifest["sections"] for t in s["tables"]]
    assert len(page.images) == len(charts)
    for src in page.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]).startswith(PNG)
    for c in charts:
        data = (out / "charts" / f"{c['name']}.png").read_bytes()
        assert data.startswith(PNG) and data[12:16] == b"IHDR", c["name"]
    assert page.tables == len(tables)
    rows: dict[str, list[dict[str, str]]] = {}
    for t in tables:
        assert (out / "tables" / f"{t['name']}.json").is_file()
        with (out / "tables" / f"{t['name']}.csv").open(encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            rows[t["name"]] = list(reader)
            assert reader.fieldnames == t["columns"]
    for name, columns in promised.items():
        assert name in rows, f"no table {name}"
        assert columns <= set(manifest_columns(tables, name)), (name, columns)
    meta = manifest["meta"]
    assert "scenario" in meta and "replication seeds" in meta
    assert any(k.startswith("rules: ") and len(v) > 5 for k, v in meta.items())
    return rows


def manifest_columns(tables: list[dict[str, object]], name: str) -> list[str]:
    """The columns a table of the manifest declares."""
    return next(list(t["columns"]) for t in tables if t["name"] == name)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def qingdao_variants(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Qingdao's rules copied verbatim, and with ``overdue_written_explanation`` flipped."""
    folder = tmp_path_factory.mktemp("rules")
    text = (SCENARIOS / "rules" / "qingdao.toml").read_text(encoding="utf-8")
    same = folder / "qingdao_copy.toml"
    same.write_text(text, encoding="utf-8")
    assert "overdue_written_explanation = false" in text
    flipped = folder / "qingdao_explains.toml"
    flipped.write_text(text.replace("overdue_written_explanation = false",
                                    "overdue_written_explanation = true"), encoding="utf-8")
    return same, flipped
