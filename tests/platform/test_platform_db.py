"""The database layer under the routes: prepared statements and SQLite's write lock."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from loadtest.platform.context import insert_record
from loadtest.platform.db import Database, Prepared
from loadtest.platform.models import ASSIGNMENTS, AUDIT_EVENTS, CASES
from tests.platform.conftest import Platform, grid_code

G = grid_code(1, 1, 1)


def test_prepared_reads_rows_as_connection_execute_does(platform: Platform) -> None:
    """Same values, same types (aware datetimes, floats, JSON), on every dialect."""
    case = platform.report(
        "W111",
        G,
        external_id="P1",
        at="2024-03-01T08:00:00+08:00",
        location={"address": "一路1号", "lat": 36.4, "lon": 116.0},
    )
    platform.post("W111", f"/api/cases/{case['id']}/accept", {"deadline": "2024-03-02T00:00:00Z"})
    db = Database(platform.url)
    try:
        with db.read() as conn:
            for table, column in ((CASES, CASES.c.id), (AUDIT_EVENTS, AUDIT_EVENTS.c.case_id)):
                stmt = select(table).where(column == bindparam("ref")).order_by(table.c.id)
                expected = dict(conn.execute(stmt, {"ref": case["id"]}).first()._mapping)
                row = Prepared(stmt).first(conn, {"ref": case["id"]})
                assert row is not None
                assert {name: getattr(row, name) for name in expected} == expected
            assert Prepared(select(CASES).where(CASES.c.id == -1)).first(conn, {}) is None
    finally:
        db.dispose()


def test_prepared_statements_of_one_shape_keep_their_own_literals(platform: Platform) -> None:
    """Statements that differ only in literal values share a compiled form, not the values."""
    cases = [platform.report("W111", G, external_id=f"L{i}")["id"] for i in range(2)]
    db = Database(platform.url)
    try:
        with db.read() as conn:
            for case in cases:
                row = Prepared(select(CASES.c.id).where(CASES.c.id == case)).first(conn, {})
                assert row is not None and row.id == case
    finally:
        db.dispose()


def test_prepared_raises_sqlalchemy_errors(platform: Platform) -> None:
    """A constraint violation surfaces as SQLAlchemy's IntegrityError, as from execute()."""
    case = platform.report("W111", G)
    db = Database(platform.url)
    try:
        with pytest.raises(IntegrityError), db.write() as conn:
            event = {c: v for c, v in _first_event(db, case["id"]).items() if c != "id"}
            insert_record(conn, AUDIT_EVENTS, event)  # (case_id, seq) is unique
    finally:
        db.dispose()


def test_prepared_refuses_to_leave_out_defaulted_columns(platform: Platform) -> None:
    """Connection.execute would fill in ``active``'s default; a Prepared insert cannot."""
    db = Database(platform.url)
    try:
        with pytest.raises(ValueError, match="active"), db.write() as conn:
            Prepared(insert(ASSIGNMENTS)).run(conn, {"case_id": 1, "op": "accept"})
    finally:
        db.dispose()


def _first_event(db: Database, case_id: int) -> dict[str, object]:
    with db.read() as conn:
        stmt = select(AUDIT_EVENTS).where(AUDIT_EVENTS.c.case_id == case_id)
        return dict(conn.execute(stmt).one()._mapping)


def test_sqlite_writers_of_separate_databases_take_turns(tmp_path: Path) -> None:
    """Two Database objects on one file (as two server processes have) never write at once,
    and queue on the lock file beside the database rather than on SQLite's busy handler."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    first, second = Database(url), Database(url)
    first.create_all()
    spans: list[tuple[str, float, float]] = []
    inside = threading.Event()

    def write(db: Database, name: str, hold: float) -> None:
        with db.write():
            start = time.monotonic()
            inside.set()
            time.sleep(hold)
            spans.append((name, start, time.monotonic()))

    try:
        holder = threading.Thread(target=write, args=(first, "first", 0.3))
        holder.start()
        assert inside.wait(5)
        write(second, "second", 0.0)
        holder.join()
    finally:
        first.dispose()
        second.dispose()
    (_, _, first_end), (_, second_start, _) = sorted(spans, key=lambda s: s[0])
    assert second_start >= first_end
    assert (tmp_path / "shared.db-writelock").exists()
