"""Fresh databases without building one per test: the tables are made once per test process.

A test's ``engine`` used to be an empty schema (or SQLite file) on which ``create_all`` ran, and
which was dropped afterwards. On PostgreSQL creating and dropping some fifty tables costs
seconds (every relation is a file); the rows a test writes are cheap to take back.

* SQLite: ``create_all`` runs once on a template file; each test's file is a copy of it, made
  before anything connects, so the test's database is byte for byte what ``create_all`` makes.
* PostgreSQL: each test process keeps one schema with every table. Before each test every row
  is deleted, the rows ``create_all`` wrote (the audit head) are put back and every sequence is
  set back, so ids start where a new schema starts them. A test that changes the schema itself
  (drops it, adds a table or a column) is noticed by a catalog fingerprint and the schema is
  made again. A connection a test left open is ended first, so it can hold no lock.

``Snapshot`` does the same for the rows a fixture builds (the ``trial`` spine): the first test
builds them through the real services, later ones get the same rows written back.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Table, create_engine, text
from sqlalchemy.orm import Session

from msctrial.core.db import Base, make_engine
from msctrial.core.session import create_all

_FINGERPRINT = text(
    """
    SELECT count(*), coalesce(sum(hashtext(concat_ws(':', c.relname, c.relkind::text,
        a.attname, a.atttypid::text, a.attnotnull::text))), 0)
    FROM pg_class c
    LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    WHERE c.relnamespace = to_regnamespace(current_schema())
    """
)
_SEQUENCES = text(
    "SELECT c.relname FROM pg_class c "
    "WHERE c.relkind = 'S' AND c.relnamespace = to_regnamespace(current_schema()) "
    "ORDER BY c.relname"
)
T = TypeVar("T")


def _rows(conn: Connection, table: Table) -> list[dict[str, Any]]:
    """A table's rows in key order (PostgreSQL hands rows back in whatever order they lie)."""
    order = list(table.primary_key.columns) or list(table.columns)
    return [dict(r) for r in conn.execute(table.select().order_by(*order)).mappings()]


def _sequence_state(conn: Connection) -> dict[str, tuple[int, bool]]:
    """Each sequence's (last_value, is_called), on PostgreSQL; SQLite has none in use."""
    if conn.dialect.name != "postgresql":
        return {}
    names = list(conn.execute(_SEQUENCES).scalars())
    if not names:
        return {}
    rows = " UNION ALL ".join(f"SELECT '{n}', last_value, is_called FROM \"{n}\"" for n in names)
    return {name: (int(last), bool(called)) for name, last, called in conn.execute(text(rows))}


class Snapshot:
    """Every row of every table, and the sequences, as a connection sees them now."""

    def __init__(self, conn: Connection, extra: Any = None) -> None:
        self.rows = []
        for table in Base.metadata.sorted_tables:
            rows = _rows(conn, table)
            if rows:
                self.rows.append((table, rows))
        self.sequences = _sequence_state(conn)
        self.extra = extra

    def holds(self, conn: Connection) -> bool:
        """Whether the database holds exactly these rows and sequences (and nothing else)."""
        counts = " + ".join(f"(SELECT count(*) FROM {t.name})" for t in Base.metadata.sorted_tables)
        if conn.execute(text(f"SELECT {counts}")).scalar_one() != sum(
            len(rows) for _, rows in self.rows
        ):
            return False
        for table, rows in self.rows:
            if _rows(conn, table) != rows:
                return False
        return _sequence_state(conn) == self.sequences

    def write(self, conn: Connection) -> None:
        """Make the database hold these rows and sequences (every other row is deleted)."""
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        for table, rows in self.rows:
            conn.execute(table.insert(), rows)
        if self.sequences:
            calls = ", ".join(
                f"setval('\"{name}\"', {last}, {'true' if called else 'false'})"
                for name, (last, called) in self.sequences.items()
            )
            conn.execute(text(f"SELECT {calls}"))


def put_back(session: Session, snapshot: Snapshot) -> None:
    """Write a snapshot through a session (in its transaction), forgetting what it had loaded."""
    snapshot.write(session.connection())
    session.expire_all()


def sqlite_path(engine: Engine) -> Path | None:
    database = engine.url.database
    if engine.dialect.name != "sqlite" or database in (None, "", ":memory:"):
        return None
    return Path(database)


def make_sqlite_template(path: Path) -> tuple[Path, Snapshot]:
    """``create_all`` on a new SQLite file, closed cleanly (its write-ahead log folded in)."""
    engine = make_engine(f"sqlite:///{path}")
    create_all(engine)
    with engine.connect() as conn:
        baseline = Snapshot(conn)
    engine.dispose()  # the last connection to close folds the log into the file and deletes it
    left = [s for s in ("-wal", "-journal") if Path(f"{path}{s}").exists()]
    assert not left, f"the template {path} still has {left}: a copy would miss rows"
    Path(f"{path}-shm").unlink(missing_ok=True)
    return path, baseline


def fill_from_template(engine: Engine, template: Path) -> bool:
    """Give a not-yet-created SQLite database the template's tables; False if it exists."""
    path = sqlite_path(engine)
    if path is None or path.exists():
        return False
    shutil.copyfile(template, path)
    return True


class PgPool:
    """One schema with every table for this test process, handed out fresh to each test."""

    def __init__(self, base_url: str) -> None:
        self.schema = f"t_pool_{uuid.uuid4().hex[:12]}"
        self.app_name = f"msctrial-test-{self.schema}"
        where = f"{base_url}?options=-csearch_path%3D{self.schema}"
        self.url = f"{where}&application_name={self.app_name}"
        self._admin = create_engine(base_url)
        # The resetting connection carries another name, so it never ends itself.
        self._keeper = create_engine(f"{where}&application_name=keeper", pool_size=1)
        self._build()

    def _build(self) -> None:
        with self._admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
        built = make_engine(self.url)
        create_all(built)
        built.dispose()
        with self._keeper.connect() as conn:
            self._fingerprint = tuple(conn.execute(_FINGERPRINT).one())
            self.baseline = Snapshot(conn)

    def fresh(self) -> Engine:
        """A new engine on the schema, holding exactly what ``create_all`` leaves."""
        self._end_left_connections()
        with self._keeper.begin() as conn:
            if tuple(conn.execute(_FINGERPRINT).one()) == self._fingerprint:
                conn.exec_driver_sql("SET LOCAL lock_timeout = '60s'")
                self.baseline.write(conn)
                rebuild = False
            else:
                rebuild = True
        if rebuild:
            self._build()
        return make_engine(self.url)

    def _end_left_connections(self) -> None:
        with self._keeper.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = :name AND pid <> pg_backend_pid()"
                ),
                {"name": self.app_name},
            )
            conn.commit()

    def close(self) -> None:
        self._end_left_connections()
        self._keeper.dispose()
        with self._admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
        self._admin.dispose()


def shares_bare_engine(request: Any) -> bool:
    """Whether the test, or a fixture other than ``engine``, uses ``bare_engine`` itself: then
    ``engine`` must be that very database (the slow way). Unknown means yes."""
    info = getattr(request.node, "_fixtureinfo", None)
    if info is None:
        return True
    direct = {"bare_engine", "pg_engine", "sqlite_engine"}
    if direct & set(info.argnames):
        return True
    for name, defs in info.name2fixturedefs.items():
        if name in ("engine", "bare_engine"):
            continue
        if any(direct & set(d.argnames) for d in defs):
            return True
    return False


_built: dict[tuple[Any, ...], Snapshot] = {}


def build_once(
    session: Session,
    key: tuple[Any, ...],
    start: Snapshot | None,
    build: Callable[[], T],
    keep: Callable[[T], Any],
    again: Callable[[Any], T],
) -> T:
    """``build()`` in the session, or, when the database holds exactly ``start`` and a test of
    this process already built from there, that build's rows written back.

    ``keep(result)`` is what is remembered of the result (plain values: ids, codes) and
    ``again(kept)`` makes the result anew from it. What the build left in ``session.info`` (the
    acting user) is left there again, and a build that ended with a commit is committed again.
    The state after it is ``built(key)``, for a following build to start from.
    """
    fresh = start is not None and start.holds(session.connection())
    if fresh and key in _built:
        snapshot = _built[key]
        put_back(session, snapshot)
        info, kept, committed = snapshot.extra
        session.info.update(info)
        if committed:
            session.commit()
        return again(kept)
    before = dict(session.info)
    result = build()
    if fresh:
        committed = not session.in_transaction()  # the build ended with a commit
        session.flush()
        info = {k: v for k, v in session.info.items() if k not in before or before[k] is not v}
        _built[key] = Snapshot(session.connection(), (info, keep(result), committed))
        if committed:
            session.commit()  # end the snapshot's read, as the build had ended its transaction
    return result


def built(key: tuple[Any, ...]) -> Snapshot | None:
    return _built.get(key)
