"""The database: SQLite in WAL mode with foreign keys on, aware UTC times on both backends."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError, StatementError

from msctrial.core.db import make_engine
from msctrial.core.migrate import alembic_config
from msctrial.core.sites import add_site
from msctrial.core.tables import RoleGrant, Site, User


def test_sqlite_runs_in_wal_mode_with_foreign_keys_on(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'trial.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_a_role_for_a_missing_user_breaks_a_foreign_key_on_both_backends(session, system):
    from msctrial.core import audit

    audit.attach(session, system)
    session.add(RoleGrant(user_id=999, role="monitor"))
    with pytest.raises(IntegrityError, match=r"(?i)foreign key"):
        session.flush()


def test_times_come_back_as_aware_utc_on_both_backends(session, system):
    site = add_site(session, system, "WUH", "Wuhan")
    from msctrial.core import audit

    audit.attach(session, system)
    shanghai = dt.timezone(dt.timedelta(hours=8))
    user = User(
        username="li.wei",
        password_hash="x",
        created_at=dt.datetime(2020, 2, 1, 8, 30, tzinfo=shanghai),
    )
    session.add(user)
    session.commit()
    session.expire_all()
    stored = session.get(User, user.id)
    assert stored.created_at == dt.datetime(2020, 2, 1, 0, 30, tzinfo=dt.UTC)
    assert stored.created_at.utcoffset() == dt.timedelta(0)
    assert session.get(Site, site.id) is not None


def test_a_naive_datetime_is_refused(session, system):
    from msctrial.core import audit

    audit.attach(session, system)
    session.add(User(username="li.wei", password_hash="x", created_at=dt.datetime(2020, 2, 1)))
    with pytest.raises(StatementError, match="naive datetime"):
        session.flush()


def test_a_database_url_with_an_encoded_password_reaches_the_migrations():
    url = "postgresql+psycopg://trial:p%40ss%25word@db.example/msc?options=-csearch_path%3Dx"
    cfg = alembic_config(create_engine(url))
    assert cfg.get_main_option("sqlalchemy.url") == url


def test_nothing_connects_when_an_engine_is_made():
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert engine.pool.checkedout() == 0
    with (
        pytest.raises(Exception, match="Connection refused|connection failed"),
        engine.connect() as conn,
    ):
        conn.execute(text("select 1"))
