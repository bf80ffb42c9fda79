"""Engine and transactions: SQLite in WAL mode by default, PostgreSQL through psycopg.

Each request runs in exactly one transaction, opened by `Database.read` or `Database.write`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from loadtest.platform.models import Base

DEFAULT_DB_URL = "sqlite:///gridsim-platform.db"
DB_URL_ENV = "GRIDSIM_PLATFORM_DB"  # how `serve` hands the URL to its worker processes
_BEGIN_OPTION = "gridsim_sqlite_begin"


def _install_sqlite_hooks(engine: Engine) -> None:
    """WAL, foreign keys, and explicit BEGINs for pysqlite.

    pysqlite on Python 3.11 only opens a transaction before the first write, so a read-then-write
    request would read outside its transaction; SQLAlchemy's documented fix is to switch the
    driver's own handling off and emit BEGIN ourselves. Write transactions emit BEGIN IMMEDIATE so
    the write lock is taken up front: a deferred transaction that later upgrades can fail with
    SQLITE_BUSY_SNAPSHOT when another process committed in between, and no busy timeout helps.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # NORMAL loses nothing on a process crash (kill -9), only on power loss, and saves an
        # fsync per commit.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(connection.get_execution_options().get(_BEGIN_OPTION, "BEGIN"))


class Database:
    """One engine, read and write transactions on it, and the schema."""

    def __init__(self, url: str = DEFAULT_DB_URL) -> None:
        self.url = url
        kwargs: dict[str, Any] = {}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False}
            if ":memory:" in url or url.rstrip("/") == "sqlite:":
                kwargs["poolclass"] = StaticPool
            else:
                # The threadpool serving requests is 40 wide; let readers have connections.
                kwargs.update(pool_size=8, max_overflow=32)
        else:
            kwargs.update(pool_size=10, max_overflow=20)
        self.engine = create_engine(url, **kwargs)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        writer_engine = self.engine
        if self.is_sqlite:
            _install_sqlite_hooks(self.engine)
            writer_engine = self.engine.execution_options(**{_BEGIN_OPTION: "BEGIN IMMEDIATE"})
        self._writer_engine = writer_engine
        # SQLite has one writer at a time. Queueing this process's writers on a lock is cheaper
        # and fairer than SQLite's busy handler, which sleeps in growing steps and wrecks p99.
        self._write_lock: AbstractContextManager[Any] = (
            threading.Lock() if self.is_sqlite else nullcontext()
        )

    def create_all(self) -> None:
        """Create any missing tables and indexes (existing data is kept)."""
        Base.metadata.create_all(self.engine)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction, committed when the block exits without an exception."""
        with self._write_lock, self._writer_engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def orm(self) -> Iterator[Session]:
        """An ORM session in a write transaction, for the rare bulk work (seeding)."""
        with self._write_lock, Session(self._writer_engine) as session, session.begin():
            yield session

    def ping(self) -> None:
        """Raise if the database cannot be reached."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
