"""Shared fixtures: a fresh database per test on SQLite and on PostgreSQL, actors, an app.

On CI (``CI=true``) PostgreSQL, Chromium and ../shared/ are mandatory: a test needing one that
is missing fails. Elsewhere it is skipped with the reason shown in the summary.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from msctrial.core.actors import Actor
from msctrial.core.db import make_engine
from msctrial.core.session import create_all, make_sessionmaker
from msctrial.core.settings import Settings
from msctrial.core.tables import Site
from tests import fastdb

CI = os.environ.get("CI", "").lower() == "true"
PG_URL = os.environ.get("MSCTRIAL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REPO = Path(__file__).resolve().parents[1]
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


def unavailable(what: str) -> None:
    """Skip, or fail on CI where every component must be present."""
    if CI:
        pytest.fail(f"{what} (mandatory on CI)")
    pytest.skip(what)


def shared_dir() -> Path | None:
    candidates = [os.environ.get("MSCTRIAL_SHARED"), REPO.parent / "shared", "/work/shared"]
    for c in candidates:
        if c and (Path(c) / "DOMAIN.md").is_file():
            return Path(c)
    return None


@pytest.fixture(scope="session")
def shared() -> Path:
    path = shared_dir()
    if path is None:
        unavailable("../shared/ is not beside this checkout (set MSCTRIAL_SHARED to its path)")
    return path


_pg_checked: dict[str, str | None] = {}


def _pg_problem() -> str | None:
    if "result" not in _pg_checked:
        try:
            eng = create_engine(PG_URL, connect_args={"connect_timeout": 3})
            with eng.connect() as conn:
                conn.execute(text("select 1"))
            eng.dispose()
            _pg_checked["result"] = None
        except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
            _pg_checked["result"] = (
                f"PostgreSQL not reachable at {PG_URL}: {exc.__class__.__name__}"
            )
    return _pg_checked["result"]


@pytest.fixture
def pg_engine() -> Iterator[Engine]:
    """An engine on a fresh schema of the PostgreSQL test database, dropped afterwards."""
    problem = _pg_problem()
    if problem:
        unavailable(problem)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    # The schema rides in the URL, so ``settings.database_url`` (and a CLI's --db) reach it too.
    engine = make_engine(f"{PG_URL}?options=-csearch_path%3D{schema}")
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def bare_engine(request: pytest.FixtureRequest) -> Engine:
    """An empty database, on each backend."""
    return request.getfixturevalue(f"{'pg' if request.param == 'postgresql' else 'sqlite'}_engine")


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, fastdb.Snapshot]:
    return fastdb.make_sqlite_template(tmp_path_factory.mktemp("template") / "tables.db")


@pytest.fixture(scope="session")
def _pg_pool() -> Iterator[fastdb.PgPool]:
    pool = fastdb.PgPool(PG_URL)
    yield pool
    pool.close()


@pytest.fixture
def engine(bare_engine: Engine, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A database with every table, on each backend: what ``create_all`` makes, made once per
    test process (tests/fastdb.py) unless the test uses ``bare_engine`` itself too."""
    if bare_engine.dialect.name == "sqlite":
        template, _ = request.getfixturevalue("_sqlite_template")
        if not fastdb.fill_from_template(bare_engine, template):
            create_all(bare_engine)
        yield bare_engine
        return
    if bare_engine.dialect.name != "postgresql" or fastdb.shares_bare_engine(request):
        create_all(bare_engine)
        yield bare_engine
        return
    fresh = request.getfixturevalue("_pg_pool").fresh()
    try:
        yield fresh
    finally:
        fresh.dispose()


@pytest.fixture
def settings(engine: Engine) -> Settings:
    return Settings(
        database_url=engine.url.render_as_string(hide_password=False),
        secret_key=TEST_SECRET,
        migrate_on_start=False,
        cookie_secure=False,
    )


@pytest.fixture
def factory(engine: Engine):  # noqa: ANN201
    return make_sessionmaker(engine)


@pytest.fixture
def session(factory) -> Iterator[Session]:  # noqa: ANN001
    with factory() as s:
        yield s


@pytest.fixture
def system() -> Actor:
    return Actor.system_actor("test")


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing() -> Iterator[None]:
    """Cheap argon2 parameters in tests; hashes still verify (parameters live in the hash)."""
    from argon2 import PasswordHasher

    import msctrial.core.users as users

    original = users._hasher
    users._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    users._hasher = original


@dataclass
class TrialWorld:
    """The demo's spine in a test database: three sites, one user per role, the protocol."""

    trial_code: str
    sites: dict[str, Site]
    actors: dict[str, Actor]
    passwords: dict[str, str]

    def actor(self, username: str) -> Actor:
        return self.actors[username]


@pytest.fixture
def trial(session: Session, settings: Settings, request: pytest.FixtureRequest) -> TrialWorld:
    """Sites WUH, BJS, KMG; users investigator (WUH), coordinator (WUH), investigator.bjs,
    investigator.kmg, pharmacist (WUH), qc, monitor, statistician, dsmb, admin, safety; the
    reference protocol as trial MSC-COVID-DEMO.
    Passwords: ``demo.spine.demo_password(username)``."""
    from sqlalchemy import select

    from msctrial.core.tables import User
    from msctrial.core.users import load_actor

    trial_code, logins = _spine(session, settings, request)
    sites = {s.code: s for s in session.scalars(select(Site))}
    actors = {u.username: load_actor(session, u) for u in session.scalars(select(User))}
    # End the read transaction: on SQLite every transaction begins IMMEDIATE (holds the write
    # lock), so an open one here would lock out the app under test.
    session.commit()
    return TrialWorld(trial_code, sites, actors, {lg.username: lg.password for lg in logins})


def spine_key(session: Session, settings: Settings) -> tuple[str, ...]:
    return ("spine", session.get_bind().dialect.name, settings.secret_key or "")


def _spine(session: Session, settings: Settings, request: pytest.FixtureRequest) -> tuple:
    """``demo.spine.build`` into the test's database; on a fresh one, built once per process and
    written back after (tests/fastdb.py). Built: trial code and logins."""
    from msctrial.demo import DemoContext, spine

    dialect = session.get_bind().dialect.name
    start = None
    if dialect == "sqlite":
        start = request.getfixturevalue("_sqlite_template")[1]
    elif dialect == "postgresql":
        start = request.getfixturevalue("_pg_pool").baseline

    def build() -> tuple:
        ctx = DemoContext(subjects=0, seed=1)
        spine.build(session, settings, ctx)
        return ctx.trial_code, list(ctx.logins)

    return fastdb.build_once(
        session, spine_key(session, settings), start, build, lambda r: r, lambda r: r
    )
