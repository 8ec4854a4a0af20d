"""``msctrial db``: database schema, backup and restore."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from msctrial.cli.common import DbOption, settings_for
from msctrial.core.backup import backup, restore
from msctrial.core.db import make_engine
from msctrial.core.migrate import current_heads, upgrade

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Apply every pending migration (also done when the server starts)."""
    settings = settings_for(db)
    engine = make_engine(settings)
    try:
        upgrade(engine, settings.keyring())
        heads = ", ".join(sorted(current_heads(engine)))
    finally:
        engine.dispose()
    typer.echo(f"database at {settings.database_url} is up to date ({heads})")


OutOption = Annotated[Path, typer.Option("--out", help="the backup file to write (must be new)")]


@app.command("backup")
def db_backup(out: OutOption, db: DbOption = None) -> None:
    """Write a consistent copy of the database, audit trail included (SQLite: the online
    backup API; PostgreSQL: pg_dump)."""
    settings = settings_for(db)
    backup(settings.database_url, out)
    typer.echo(f"backed up {settings.database_url} to {out}")


@app.command("restore")
def db_restore(
    file: Annotated[Path, typer.Argument(help="a file written by `msctrial db backup`")],
    db: DbOption = None,
) -> None:
    """Restore a backup into an empty database (never over one that holds a trial); check it
    with `msctrial audit verify --records`."""
    settings = settings_for(db)
    restore(settings.database_url, file)
    typer.echo(f"restored {file} into {settings.database_url}")
