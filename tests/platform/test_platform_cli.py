"""`gridsim platform seed|serve`, and the directory's validation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from pydantic import ValidationError
from sqlalchemy import func, select
from typer.testing import CliRunner

from loadtest.platform.auth import make_token
from loadtest.platform.cli import app, is_loopback
from loadtest.platform.db import Database
from loadtest.platform.models import Unit, User
from loadtest.platform.seed import DirectorySpec
from tests.platform.conftest import World

runner = CliRunner()


def write_directory(tmp_path: Path, world: World) -> Path:
    path = tmp_path / "directory.json"
    path.write_text(world.spec.model_dump_json())
    return path


def test_seed_writes_deterministic_tokens_and_is_idempotent(tmp_path: Path, world: World) -> None:
    directory = write_directory(tmp_path, world)
    url = f"sqlite:///{tmp_path / 'seed.db'}"
    out1, out2 = tmp_path / "t1.json", tmp_path / "t2.json"
    args = ["seed", str(directory), "--db", url, "--secret", "s3"]
    first = runner.invoke(app, [*args, "--tokens", str(out1)])
    second = runner.invoke(app, [*args, "--tokens", str(out2)])
    assert first.exit_code == 0 and second.exit_code == 0, first.output
    tokens = json.loads(out1.read_text())
    assert tokens == json.loads(out2.read_text())
    assert set(tokens) == {u.id for u in world.spec.users}
    assert tokens["W111"] == make_token("s3", "W111") != make_token("other", "W111")
    db = Database(url)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Unit)) == len(world.spec.units)
        assert s.scalar(select(func.count()).select_from(User)) == len(world.spec.users)
    db.dispose()


def test_seed_rejects_a_broken_directory(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"units": [{"code": "x", "name": "x", "tier": "county"}]}))
    result = runner.invoke(app, ["seed", str(bad), "--db", f"sqlite:///{tmp_path / 'b.db'}"])
    assert result.exit_code == 2 and "only the city may have no parent" in result.output


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3", "192.168.0.1", "example.com", "::"])
def test_serve_refuses_non_loopback_hosts(host: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["serve", "--host", host, "--db", f"sqlite:///{tmp_path}/x.db"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "loopback" in lines[0] and host in lines[0]
    assert not (tmp_path / "x.db").exists()


def test_loopback_detection() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.0.0.2", "::1", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "8.8.8.8", "local"))


def test_every_option_has_help() -> None:
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    assert set(commands) == {"serve", "seed"}
    for name, command in commands.items():
        assert command.help, name
        for param in command.params:
            assert getattr(param, "help", None), f"{name} {param.name}"


def spec(units: list[dict[str, Any]], users: list[dict[str, Any]] | None = None) -> DirectorySpec:
    return DirectorySpec.model_validate({"units": units, "users": users or []})


CITY = {"code": "c", "name": "市", "tier": "city", "parent": None}
COUNTY = {"code": "k", "name": "县", "tier": "county", "parent": "c"}
TOWN = {"code": "t", "name": "镇", "tier": "township", "parent": "k"}
GRID = {"code": "g", "name": "网格", "tier": "grid", "parent": "t"}


@pytest.mark.parametrize(
    ("units", "users", "message"),
    [
        ([CITY, CITY], [], "duplicate unit codes"),
        ([CITY, {**COUNTY, "parent": "nope"}], [], "unknown parent"),
        ([CITY, {**COUNTY, "parent": None}], [], "only the city"),
        (
            [CITY, COUNTY, TOWN, GRID,
             {"code": "d", "name": "局", "tier": "department", "parent": "g"}],
            [],
            "parent must be a township, county or city",
        ),
        ([CITY, {**COUNTY, "parent": "t"}, {**TOWN, "parent": "k"}], [], "loops"),
        (
            [CITY, COUNTY, TOWN, GRID],
            [{"id": "u", "name": "n", "role": "county_staff", "unit": "t"}],
            "cannot belong",
        ),
        (
            [CITY, COUNTY, TOWN, GRID],
            [{"id": "u", "name": "n", "role": "grid_worker", "unit": "t", "grids": ["g"]}],
            "cannot belong",
        ),
        (
            [CITY, COUNTY, TOWN, GRID],
            [{"id": "u", "name": "n", "role": "grid_worker", "unit": "g", "grids": ["t"]}],
            "not a grid unit",
        ),
        (
            [CITY],
            [{"id": "u", "name": "n", "role": "city_staff", "unit": "c"}] * 2,
            "duplicate user ids",
        ),
    ],
)
def test_directory_validation(
    units: list[dict[str, Any]], users: list[dict[str, Any]], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        spec(units, users)


def test_a_valid_small_directory() -> None:
    s = spec(
        [CITY, COUNTY, TOWN, GRID],
        [{"id": "w", "name": "n", "role": "grid_worker", "unit": "g", "grids": ["g"]}],
    )
    assert [u.code for u in s.units] == ["c", "k", "t", "g"] and s.users[0].grids == ["g"]
