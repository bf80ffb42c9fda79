"""Engine and transactions: SQLite in WAL mode by default, PostgreSQL through psycopg.

Each request runs in exactly one transaction, opened by `Database.read` or `Database.write`;
its fixed, per-request statements run as `Prepared` statements.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Dialect, Engine, Executable, create_engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.compiler import Compiled

from loadtest.platform.models import Base, Record

try:
    import fcntl
except ImportError:  # Windows: processes sharing a database queue on SQLite's busy handler
    fcntl = None  # type: ignore[assignment]

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
        # Straight on the driver's connection: `exec_driver_sql` would run the whole statement
        # machinery (about as costly as a real query) for a constant that returns nothing.
        connection.connection.driver_connection.execute(
            connection.get_execution_options().get(_BEGIN_OPTION, "BEGIN")
        )


class _SQLiteWriteLock:
    """Queues writers: this process's on a thread lock, and every process's serving the same
    database file on an flock() of a file beside it.

    SQLite has one writer at a time, and its busy handler makes a writer that finds the lock
    taken sleep in growing steps (1, 2, 5, 10 ms ...) before it retries: with two server
    processes about one write in five slept so, which wrecks p99. A blocking lock hands over
    the moment it is released. (Not SQLite's own file: closing any descriptor of that file
    drops the POSIX locks SQLite holds on it.)
    """

    def __init__(self, database_file: str | None) -> None:
        self._threads = threading.Lock()
        self._path = (
            None if database_file is None or fcntl is None else f"{database_file}-writelock"
        )
        self._fd: int | None = None

    def __enter__(self) -> None:
        self._threads.acquire()
        if self._path is None:
            return
        try:
            if self._fd is None:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise

    def __exit__(self, *_exc_info: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._threads.release()

    def close(self) -> None:
        """Close the lock file (it is reopened on the next write)."""
        with self._threads:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


class Database:
    """One engine, read and write transactions on it, and the schema."""

    def __init__(self, url: str = DEFAULT_DB_URL) -> None:
        self.url = url
        kwargs: dict[str, Any] = {}
        in_memory = ":memory:" in url or url.rstrip("/") == "sqlite:"
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False}
            if in_memory:
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
        self._sqlite_lock = (
            _SQLiteWriteLock(None if in_memory else self.engine.url.database)
            if self.is_sqlite
            else None
        )
        self._write_lock: AbstractContextManager[Any] = self._sqlite_lock or nullcontext()
        # SQLite's writers take turns, so they can share one connection, kept open: checking a
        # connection out of the pool and back in costs as much as a statement.
        self._writer: Connection | None = None

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
        with self._write_lock, self._writer_connection() as conn, conn.begin():
            yield conn

    def _writer_connection(self) -> AbstractContextManager[Connection]:
        """SQLite: the process's writer connection (the write lock is held); else a pooled one."""
        if not self.is_sqlite:
            return self._writer_engine.connect()
        if self._writer is None or self._writer.closed:
            self._writer = self._writer_engine.connect()
        return nullcontext(self._writer)

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
        """Close the writer connection, the write lock's file and every pooled connection."""
        with self._write_lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
        if self._sqlite_lock is not None:
            self._sqlite_lock.close()
        self.engine.dispose()


Processor = Callable[[Any], Any] | None


@dataclass(slots=True)
class _Form:
    """A statement compiled for one dialect and one set of parameter names."""

    compiled: Compiled
    sql: str
    positional: bool
    binds: tuple[tuple[str, Processor], ...]  # placeholder order when positional
    columns: tuple[Any, ...]  # the result columns (SELECT or RETURNING)
    # Filled in by the first execution: some result processors depend on the type the driver
    # reports in cursor.description (PostgreSQL's numeric types).
    results: tuple[tuple[str, Processor], ...] | None = None

    @classmethod
    def build(
        cls, statement: Any, cache_key: Any, dialect: Dialect, keys: tuple[str, ...]
    ) -> _Form:
        """Compile ``statement`` and collect SQLAlchemy's own type processors for it."""
        compiled = statement.compile(dialect=dialect, column_keys=list(keys), cache_key=cache_key)
        # Connection.execute fills these in per execution; a Prepared statement does not, so a
        # missing column would silently be NULL.
        defaulted = [c.key for c in (*compiled.insert_prefetch, *compiled.update_prefetch)]
        if defaulted:
            raise ValueError(f"give every column to a Prepared statement: missing {defaulted}")
        types = {name: bind.type for bind, name in compiled.bind_names.items()}
        positional = bool(compiled.positional)
        names = compiled.positiontup if positional else list(types)
        return cls(
            compiled,
            compiled.string,
            positional,
            tuple((n, types[n].dialect_impl(dialect).bind_processor(dialect)) for n in names),
            tuple(statement.exported_columns),
        )

    def result_processors(
        self, dialect: Dialect, description: Any
    ) -> tuple[tuple[str, Processor], ...]:
        """(name, processor) for each result column, given the driver's cursor.description."""
        if self.results is None:
            self.results = tuple(
                (c.key, c.type.dialect_impl(dialect).result_processor(dialect, d[1]))
                for c, d in zip(self.columns, description, strict=True)
            )
        return self.results

    def arguments(self, params: Mapping[str, Any], literals: Any) -> Any:
        """The driver's parameters, a sequence or a mapping as its paramstyle wants:
        ``params``, and the values of the statement's literals: ``literals`` (from its cache
        key) when the form was compiled from another statement of the same shape, else None.
        """
        values = self.compiled.construct_params(params, extracted_parameters=literals)
        converted = [(n, values[n] if p is None else p(values[n])) for n, p in self.binds]
        return [v for _, v in converted] if self.positional else dict(converted)


class Prepared:
    """A Core statement compiled once per dialect (and shape) and run on the driver's cursor.

    `Connection.execute` costs several times what a one-row SQLite query does, even when its
    compiled cache hits (execution context, result metadata, row objects); the statements a
    request runs are fixed, so they skip that layer. SQLAlchemy still writes the SQL for each
    dialect and converts every value with its own type processors, so what is stored and read
    back is exactly what `Connection.execute` would store and read. Driver errors are raised
    as SQLAlchemy's (`IntegrityError` ...), as `Connection.execute` raises them. Python-side
    column defaults are not applied: an insert that leaves out such a column is refused.
    """

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        # SQLAlchemy's cache key: statements that differ only in their literal values (one per
        # actor, say, in `auth.lookup`) share one compiled form, as in SQLAlchemy's own
        # compiled cache, so a new actor costs no compilation and little memory.
        self._cache_key = statement._generate_cache_key()  # type: ignore[attr-defined]
        # (dialect, parameter names) → (form, this statement's literals if the form is shared)
        self._forms: dict[tuple[str, tuple[str, ...]], tuple[_Form, Any]] = {}

    def first(self, conn: Connection, params: Mapping[str, Any]) -> Record | None:
        """Execute; the first row (of a SELECT or a RETURNING clause) as a Record, or None."""
        form, cursor = self._execute(conn, params)
        try:
            row = cursor.fetchone()
            if row is None:
                return None
            results = form.result_processors(conn.dialect, cursor.description)
        finally:
            cursor.close()
        return Record(
            {
                name: value if p is None else p(value)
                for (name, p), value in zip(results, row, strict=True)
            }
        )

    def run(self, conn: Connection, params: Mapping[str, Any]) -> int:
        """Execute; the number of rows affected."""
        _form, cursor = self._execute(conn, params)
        count: int = cursor.rowcount
        cursor.close()
        return count

    def _execute(self, conn: Connection, params: Mapping[str, Any]) -> tuple[_Form, Any]:
        dialect = conn.dialect
        # Inserts and updates compile to the columns they are given, so the names are part of
        # the key (each call site always passes the same ones).
        key = (dialect.name, tuple(params))
        found = self._forms.get(key)
        if found is None:
            found = self._forms[key] = self._shared_form(dialect, key[1])
        form, literals = found
        arguments = form.arguments(params, literals)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        error = dialect.loaded_dbapi.Error
        try:
            cursor.execute(form.sql, arguments)
        except error as exc:
            cursor.close()
            raise DBAPIError.instance(form.sql, arguments, exc, error, dialect=dialect) from exc
        return form, cursor

    def _shared_form(self, dialect: Dialect, keys: tuple[str, ...]) -> tuple[_Form, Any]:
        if self._cache_key is None:  # a construct SQLAlchemy cannot cache: compile it alone
            return _Form.build(self.statement, None, dialect, keys), None
        shared = (dialect.name, self._cache_key.key, keys)
        form = _SHARED_FORMS.get(shared)
        if form is not None:
            return form, self._cache_key.bindparams
        form = _SHARED_FORMS[shared] = _Form.build(self.statement, self._cache_key, dialect, keys)
        return form, None


# Compiled forms by statement shape, shared by every Prepared statement of that shape; the
# platform has a few dozen shapes.
_SHARED_FORMS: dict[tuple[Any, ...], _Form] = {}
