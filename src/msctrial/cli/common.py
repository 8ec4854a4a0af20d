"""What the commands share: settings from flags and the environment, sessions, output."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from msctrial.core.actors import Actor, Grant
from msctrial.core.db import make_engine
from msctrial.core.errors import InvalidInput
from msctrial.core.session import make_sessionmaker
from msctrial.core.settings import Settings, load_settings
from msctrial.core.validation import parse_json, read_text

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="SQLite file or database URL (default: MSCTRIAL_DATABASE_URL)"),
]
JsonOption = Annotated[bool, typer.Option("--json", help="print JSON for machines")]


def database_url(db: str | None) -> str | None:
    if db is None:
        return None
    if "://" in db:
        return db
    return f"sqlite:///{Path(db).expanduser().resolve()}"


def settings_for(db: str | None = None, **overrides: Any) -> Settings:
    return load_settings(database_url=database_url(db), **overrides)


@contextmanager
def session_for(settings: Settings, migrate: bool = True) -> Iterator[Session]:
    """A session on the configured database; ``migrate`` brings its schema up to date first.

    A command that only reads (``migrate=False``) refuses a SQLite file that does not exist,
    rather than creating an empty one.
    """
    url = make_url(settings.database_url)
    if (
        not migrate
        and url.get_backend_name() == "sqlite"
        and url.database not in (None, "", ":memory:")
    ) and not Path(url.database).is_file():
        raise InvalidInput(
            f"database: there is no msctrial database at {url.database}; "
            "give --db or set MSCTRIAL_DATABASE_URL",
            field="db",
        )
    engine = make_engine(settings)
    try:
        if migrate:
            from msctrial.core.migrate import upgrade

            upgrade(engine, settings.keyring())
        with make_sessionmaker(engine, settings.keyring())() as session:
            yield session
    finally:
        engine.dispose()


def operator() -> str:
    """Who is at the terminal, for the audit trail of CLI administration."""
    return os.environ.get("MSCTRIAL_OPERATOR") or os.environ.get("USER") or "operator"


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def read_json_file(path: Path, field: str = "input") -> Any:
    """A JSON file given on the command line, or InvalidInput naming the option."""
    return parse_json(read_text(path, field), field)


def terminal_reader() -> Actor:
    """A blinded, read-only, trial-wide view (as a monitor sees it) for listings."""
    return Actor(username=f"cli:{operator()}", grants=(Grant("monitor"),))
