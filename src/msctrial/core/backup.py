"""Backup and restore of the whole database, audit trail included.

SQLite uses its online backup API (a consistent copy while the server runs); PostgreSQL uses
``pg_dump``/``pg_restore`` (custom format) where they are installed, and says plainly where
they are not. A restore never overwrites: its target must hold no msctrial tables, so nothing
is deleted; ``msctrial audit verify --records`` then proves the copy whole.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import unquote

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from msctrial.core.db import make_engine
from msctrial.core.errors import InvalidInput, MsctrialError

SQLITE_MAGIC = b"SQLite format 3\x00"


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if parsed.database in (None, "", ":memory:"):
        raise InvalidInput("database: an in-memory database cannot be backed up", field="db")
    return Path(parsed.database)


def _libpq(url: str) -> tuple[str, str | None]:
    """A libpq URI for the PostgreSQL tools, and the schema of its search_path if one is set."""
    parsed = make_url(url).set(drivername="postgresql")
    raw = unquote(str(parsed.query.get("options", "")))
    schema = None
    if "search_path=" in raw:
        schema = raw.split("search_path=", 1)[1].split()[0].split(",")[0]
    return parsed.render_as_string(hide_password=False), schema


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise MsctrialError(
            f"{name} is not installed: a PostgreSQL backup needs the PostgreSQL client tools "
            "(e.g. `apt-get install postgresql-client`)"
        )
    return path


def _run(args: list[str], what: str) -> None:
    proc = subprocess.run(args, capture_output=True, text=True, timeout=3600, check=False)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        raise MsctrialError(f"{what} failed: {last}")


def _holds_a_trial(url: str) -> bool:
    engine = make_engine(url)
    try:
        return bool(set(inspect(engine).get_table_names()) & {"audit_head", "audit_entry"})
    finally:
        engine.dispose()


def backup(url: str, out: Path) -> None:
    """Write a consistent copy of the database at ``url`` to ``out`` (never overwritten)."""
    if out.exists():
        raise InvalidInput(f"out: {out} exists; choose a new file", field="out")
    if not _holds_a_trial(url):
        raise InvalidInput("db: there is no msctrial database there to back up", field="db")
    path = _sqlite_path(url)
    if path is not None:
        source, target = sqlite3.connect(path), sqlite3.connect(out)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return
    uri, schema = _libpq(url)
    args = [_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={out}"]
    if schema:
        args.append(f"--schema={schema}")
    _run([*args, uri], "pg_dump")


def restore(url: str, source: Path) -> None:
    """Restore a backup into the empty database at ``url`` (refused if it holds a trial)."""
    if not source.is_file():
        raise InvalidInput(f"file: {source} is not a file", field="file")
    if _holds_a_trial(url):
        raise InvalidInput(
            "db: the target already holds an msctrial database; restore into an empty one "
            "(nothing is overwritten)",
            field="db",
        )
    with source.open("rb") as fh:
        is_sqlite = fh.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    path = _sqlite_path(url)
    if path is not None:
        if not is_sqlite:
            raise InvalidInput(f"file: {source} is not a SQLite backup", field="file")
        src, target = sqlite3.connect(f"file:{source}?mode=ro", uri=True), sqlite3.connect(path)
        try:
            src.backup(target)
        finally:
            target.close()
            src.close()
        return
    if is_sqlite:
        raise InvalidInput(f"file: {source} is a SQLite backup, not a PostgreSQL one", field="file")
    uri, _schema = _libpq(url)
    _run(
        [_tool("pg_restore"), "--no-owner", "--exit-on-error", f"--dbname={uri}", str(source)],
        "pg_restore",
    )
