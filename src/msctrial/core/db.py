"""The database: one metadata for every package, an engine made from settings.

SQLite runs in WAL mode with foreign keys on, and every transaction begins IMMEDIATE so two
writers never deadlock on the lock upgrade (the audit chain makes every write a writer of
the same head row). PostgreSQL is chosen by URL; nothing connects at import time. Sessions are ``core.session``'s.
"""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
from collections.abc import Iterable
from typing import Any

from sqlalchemy import JSON, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from msctrial.core.settings import Settings

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC timestamp on every backend.

    SQLite has no time zones; we store UTC and hand back aware datetimes, so comparisons and
    the audit hash are the same on SQLite and PostgreSQL. A naive datetime is refused: the
    caller must say which zone it meant.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a timezone-aware one is required")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def make_engine(settings: Settings | str, **kwargs: Any) -> Engine:
    url = make_url(settings if isinstance(settings, str) else settings.database_url)
    if url.get_backend_name() == "sqlite":
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
        )
        _configure_sqlite(engine, in_memory=url.database in (None, "", ":memory:"))
        return engine
    if url.get_backend_name() == "postgresql":
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 30)
        kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


# The execution option of a connection that only reads (see ``_configure_sqlite``).
READ_ONLY = "msctrial_read_only"


def _configure_sqlite(engine: Engine, in_memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        if not in_memory:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A long read (a background export) asks for READ_ONLY: a deferred transaction, which
        # in WAL mode blocks no writer; it must end before anything is written.
        deferred = conn.get_execution_options().get(READ_ONLY)
        conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


def import_all_tables() -> None:
    """Import every package's table modules so the metadata is complete.

    A table module is ``tables.py`` (or ``<topic>_tables.py``) in a feature package or in any of
    its subpackages (``clinical/visits/tables.py``); the doors (web, cli) hold none.
    """
    import msctrial

    _import_tables(msctrial.__path__, "msctrial.", skip=frozenset({"web", "cli", "demo"}))


def _import_tables(path: Iterable[str], prefix: str, skip: frozenset[str] = frozenset()) -> None:
    for mod in pkgutil.iter_modules(path):
        if mod.name in skip:
            continue
        name = prefix + mod.name
        if mod.ispkg:
            package = importlib.import_module(name)
            _import_tables(package.__path__, name + ".")
        elif mod.name == "tables" or mod.name.endswith("_tables"):
            importlib.import_module(name)
