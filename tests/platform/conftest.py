"""Fixtures: a small synthetic jurisdiction, a seeded platform on SQLite (and PostgreSQL)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from loadtest.platform.app import close_app, create_app
from loadtest.platform.db import Database
from loadtest.platform.seed import DirectorySpec, seed

PG_ENV = "GRIDSIM_TEST_PG_URL"
SECRET = "test-secret"
CITY = "370000000000"


def grid_code(county: int, township: int, grid: int) -> str:
    """A 19-digit grid code for the synthetic tree."""
    code = f"37{county:02d}{township:03d}001{grid:09d}"
    assert len(code) == 19
    return code


@dataclass
class World:
    """The synthetic directory plus what tests need to reason about it independently."""

    spec: DirectorySpec
    # grid code -> (township code, county code)
    grid_line: dict[str, tuple[str, str]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)

    def user_of(self, role: str, unit: str) -> str:
        """The first user with ``role`` whose unit is ``unit``."""
        return next(u for u, d in self.users.items() if d["role"] == role and d["unit"] == unit)

    def worker_of(self, grid: str) -> str:
        """The grid worker covering ``grid`` alone."""
        return next(
            u for u, d in self.users.items() if d["role"] == "grid_worker" and d["grids"] == [grid]
        )


def build_world() -> World:
    """City → 2 counties → 2 townships each → 1 community → 2 grids; departments per county
    and one at the city; a worker per grid, a grid head per community, staff per centre, a
    handler per department and a resident per grid."""
    units: list[dict[str, Any]] = [
        {"code": CITY, "name": "测试市", "tier": "city", "parent": None},
        {
            "code": "CITY-urban",
            "name": "市城管局",
            "tier": "department",
            "parent": CITY,
            "kind": "urban_management",
        },
    ]
    users: list[dict[str, Any]] = [
        {"id": "C1", "name": "市中心", "role": "city_staff", "unit": CITY},
        {"id": "D-CITY", "name": "市城管", "role": "department_handler", "unit": "CITY-urban"},
    ]
    grid_line: dict[str, tuple[str, str]] = {}
    for c in (1, 2):
        county = f"37{c:02d}00000000"
        police = f"CTY{c}-police"
        units += [
            {"code": county, "name": f"县{c}", "tier": "county", "parent": CITY},
            {
                "code": police,
                "name": f"县{c}公安",
                "tier": "department",
                "parent": county,
                "kind": "police",
            },
        ]
        users += [
            {"id": f"K{c}", "name": f"县{c}中心", "role": "county_staff", "unit": county},
            {"id": f"D{c}", "name": f"县{c}民警", "role": "department_handler", "unit": police},
        ]
        for t in (1, 2):
            township = f"37{c:02d}{t:03d}00000"
            community = f"37{c:02d}{t:03d}001"
            units += [
                {"code": township, "name": f"镇{c}{t}", "tier": "township", "parent": county},
                {
                    "code": community,
                    "name": f"社区{c}{t}",
                    "tier": "community",
                    "parent": township,
                    "kind": "urban",
                },
            ]
            users.append(
                {
                    "id": f"T{c}{t}",
                    "name": f"镇{c}{t}中心",
                    "role": "township_staff",
                    "unit": township,
                }
            )
            grids = [grid_code(c, t, g) for g in (1, 2)]
            users.append(
                {
                    "id": f"H{c}{t}",
                    "name": f"网格长{c}{t}",
                    "role": "grid_head",
                    "unit": community,
                    "grids": grids,
                }
            )
            for g, code in enumerate(grids, start=1):
                units.append(
                    {
                        "code": code,
                        "name": f"网格{c}{t}{g}",
                        "tier": "grid",
                        "parent": community,
                        "kind": "urban",
                    }
                )
                grid_line[code] = (township, county)
                users += [
                    {
                        "id": f"W{c}{t}{g}",
                        "name": f"网格员{c}{t}{g}",
                        "role": "grid_worker",
                        "unit": code,
                        "grids": [code],
                    },
                    {
                        "id": f"R{c}{t}{g}",
                        "name": f"居民{c}{t}{g}",
                        "role": "resident",
                        "unit": code,
                        "grids": [code],
                    },
                ]
    return World(
        spec=DirectorySpec.model_validate({"units": units, "users": users}),
        grid_line=grid_line,
        users={u["id"]: {"grids": [], **u} for u in users},
    )


@pytest.fixture(scope="session")
def world() -> World:
    """The synthetic jurisdiction (immutable; shared)."""
    return build_world()


class Platform:
    """A running app behind a TestClient, with per-user headers."""

    def __init__(self, url: str, world: World) -> None:
        self.url = url
        self.world = world
        db = Database(url)
        self.tokens = seed(db, world.spec, SECRET)
        db.dispose()
        self.app = create_app(url)
        # Entered once: without the context manager TestClient starts an event-loop thread
        # per request, which costs more than the request itself.
        self.client = TestClient(self.app).__enter__()

    def headers(self, user: str, key: str | None = None) -> dict[str, str]:
        """Bearer headers for ``user`` (plus an Idempotency-Key)."""
        h = {"Authorization": f"Bearer {self.tokens[user]}"}
        if key is not None:
            h["Idempotency-Key"] = key
        return h

    def post(self, user: str, path: str, body: dict[str, Any], key: str | None = None) -> Any:
        """POST JSON as ``user``."""
        return self.client.post(path, json=body, headers=self.headers(user, key))

    def get(self, user: str, path: str, **params: Any) -> Any:
        """GET as ``user``."""
        return self.client.get(path, params=params, headers=self.headers(user))

    def report(self, user: str, grid: str, **extra: Any) -> dict[str, Any]:
        """Report a case and return its body (asserting success)."""
        r = self.post(user, "/api/cases", {"type": "city.litter", "grid": grid, **extra})
        assert r.status_code == 201, r.text
        return r.json()

    def close(self) -> None:
        """Release connections."""
        self.client.__exit__(None, None, None)
        close_app(self.app)


def _reset_postgres(url: str) -> None:
    """Empty the test database, whatever schema an earlier version of the code left there."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def platform(request: pytest.FixtureRequest, tmp_path: Any, world: World) -> Iterator[Platform]:
    """A freshly seeded platform on SQLite, and on PostgreSQL when GRIDSIM_TEST_PG_URL is set."""
    if request.param == "postgres":
        url = os.environ.get(PG_ENV)
        if not url:
            pytest.skip(f"{PG_ENV} not set")
        pytest.importorskip("psycopg")
        _reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path / 'platform.db'}"
    p = Platform(url, world)
    yield p
    p.close()


@pytest.fixture
def sqlite_platform(tmp_path: Any, world: World) -> Iterator[Platform]:
    """A freshly seeded platform on SQLite only (for the longer property tests)."""
    p = Platform(f"sqlite:///{tmp_path / 'platform.db'}", world)
    yield p
    p.close()
