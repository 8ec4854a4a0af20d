"""The test databases made once per process (tests/fastdb.py) are the ones made per test: a
reused PostgreSQL schema comes back as ``create_all`` leaves it, whatever the last test did, and
a spine written back is the spine the services build."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from msctrial.core import audit
from msctrial.core.actors import Actor
from msctrial.core.session import make_sessionmaker
from msctrial.core.settings import Settings
from msctrial.core.sites import add_site
from msctrial.core.tables import Site
from msctrial.demo import DemoContext, spine
from tests import fastdb
from tests.conftest import TEST_SECRET


def _settings(engine) -> Settings:  # noqa: ANN001
    return Settings(
        database_url=engine.url.render_as_string(hide_password=False), secret_key=TEST_SECRET
    )


@pytest.mark.postgres
def test_a_reused_schema_comes_back_empty_with_its_sequences_restarted(pg_engine, request):
    pool: fastdb.PgPool = request.getfixturevalue("_pg_pool")
    first = pool.fresh()
    with make_sessionmaker(first)() as s:
        add_site(s, Actor.system_actor("test"), "AAA", "A site", timezone="UTC")
        s.commit()
    left_open = first.connect()  # a test that forgot a connection: it must not block the reset
    left_open.execute(text("SELECT * FROM site FOR UPDATE"))
    second = pool.fresh()
    with second.connect() as conn:
        assert pool.baseline.holds(conn)
    with make_sessionmaker(second)() as s:
        site = add_site(s, Actor.system_actor("test"), "BBB", "B site", timezone="UTC")
        s.commit()
        assert s.get(Site, site.id).id == 1
    first.dispose()
    second.dispose()


@pytest.mark.postgres
def test_a_schema_a_test_changed_is_made_again(pg_engine, request):
    pool: fastdb.PgPool = request.getfixturevalue("_pg_pool")
    changed = pool.fresh()
    with changed.begin() as conn:
        conn.execute(text("CREATE TABLE stray (id int)"))
        conn.execute(text("ALTER TABLE site ADD COLUMN extra int"))
    changed.dispose()
    again = pool.fresh()
    with again.connect() as conn:
        tables = set(
            conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            ).scalars()
        )
        columns = set(
            conn.execute(
                text(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = current_schema() AND table_name = 'site'"
                )
            ).scalars()
        )
        assert pool.baseline.holds(conn)
    assert "stray" not in tables and "extra" not in columns
    again.dispose()


def test_a_written_back_spine_is_the_built_one_and_its_trail_verifies(engine, request):
    """Built through the services on one fresh database, written back into another: the same
    rows, the same sequences, a chain that verifies."""
    start = (
        request.getfixturevalue("_sqlite_template")[1]
        if engine.dialect.name == "sqlite"
        else request.getfixturevalue("_pg_pool").baseline
    )
    with make_sessionmaker(engine)() as s:
        assert start.holds(s.connection())
        spine.build(s, _settings(engine), DemoContext(subjects=0, seed=1))
        s.flush()
        built = fastdb.Snapshot(s.connection())
        fastdb.put_back(s, start)  # back to fresh, then the spine written, not built
        assert start.holds(s.connection())
        fastdb.put_back(s, built)
        s.commit()
        assert built.holds(s.connection())
        report = audit.verify_chain(s)
        assert report.ok and report.entries == len(
            next(rows for table, rows in built.rows if table.name == "audit_entry")
        )
        # The next write chains on, with the next id.
        site = add_site(s, Actor.system_actor("test"), "NEW", "New site", timezone="UTC")
        s.commit()
        assert site.id == 4 and audit.verify_chain(s).ok


def test_the_trial_fixture_written_back_holds_what_a_build_holds(trial, session, settings):
    """Whichever way this test's spine came (built or written back), it is the built one."""
    from tests.conftest import spine_key

    snapshot = fastdb.built(spine_key(session, settings))
    assert snapshot is not None and snapshot.holds(session.connection())
    assert audit.verify_chain(session).ok
