"""`gridsim platform serve|seed`: run and seed the reference case platform."""

from __future__ import annotations

import ipaddress
import json
import os
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from loadtest.platform.auth import DEFAULT_SECRET, SECRET_ENV
from loadtest.platform.db import DB_URL_ENV, DEFAULT_DB_URL

app = typer.Typer(
    help="The reference case platform (网格化服务管理信息平台) for load tests.",
    no_args_is_help=True,
    add_completion=False,
)

DbOption = Annotated[
    str,
    typer.Option(
        "--db",
        help="SQLAlchemy URL: sqlite:///FILE.db (WAL) or postgresql+psycopg://USER@HOST/DB.",
        envvar=DB_URL_ENV,
    ),
]


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (the platform never listens beyond it)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@app.command()
def serve(
    db: DbOption = DEFAULT_DB_URL,
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    host: Annotated[str, typer.Option(help="Loopback address to bind (127.0.0.1, ::1).")] = (
        "127.0.0.1"
    ),
    workers: Annotated[
        int,
        typer.Option(help="Server processes (more help PostgreSQL; SQLite has one writer).", min=1),
    ] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "warning",
) -> None:
    """Serve the REST API, the Open311 facade and /openapi.json on a loopback address."""
    # Heavy imports stay inside the commands so that `gridsim --help` stays quick.
    import uvicorn

    if not is_loopback(host):
        typer.echo(f"error: refusing to bind {host}: the platform binds loopback only", err=True)
        raise typer.Exit(2)
    os.environ[DB_URL_ENV] = db  # read by the factory in every worker process
    uvicorn.run(
        "loadtest.platform.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        access_log=False,
    )


@app.command()
def seed(
    directory: Annotated[
        Path, typer.Argument(help="Directory JSON (units and users).", exists=True, dir_okay=False)
    ],
    db: DbOption = DEFAULT_DB_URL,
    tokens: Annotated[
        Path | None, typer.Option(help="Write {user_id: token} JSON to this file.")
    ] = None,
    secret: Annotated[
        str,
        typer.Option(
            help="HMAC secret the tokens derive from (same secret, same tokens).",
            envvar=SECRET_ENV,
        ),
    ] = DEFAULT_SECRET,
) -> None:
    """Create the schema if needed and upsert the directory's units and users."""
    from loadtest.platform.db import Database
    from loadtest.platform.seed import load_directory
    from loadtest.platform.seed import seed as run_seed

    try:
        spec = load_directory(directory)
    except ValidationError as exc:
        typer.echo(f"error: {directory}: {exc}", err=True)
        raise typer.Exit(2) from exc
    database = Database(db)
    try:
        token_map = run_seed(database, spec, secret)
    finally:
        database.dispose()
    if tokens is not None:
        tokens.write_text(json.dumps(token_map, indent=1, ensure_ascii=False) + "\n")
    typer.echo(f"seeded {len(spec.units)} units and {len(spec.users)} users into {db}")
