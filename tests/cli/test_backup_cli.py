"""``msctrial db backup`` / ``db restore``: a round trip that ``audit verify --records`` proves
whole, on SQLite (online backup API) and PostgreSQL (pg_dump/pg_restore); a restore never
overwrites a database that holds a trial; a missing tool is one plain error."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.cli.conftest import assert_one_plain_error


@pytest.fixture
def demo_db(cli, db_url):  # noqa: ANN001, ANN201
    result = cli("demo", "--no-serve", "--subjects", "2", "--db", db_url)
    assert result.code == 0, result
    return db_url


def _entries(db_url: str) -> int:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM audit_entry")).scalar()
    engine.dispose()
    return int(n or 0)


def _lose(db_url: str) -> str:
    """The disaster: the database is gone. Returns where to restore (same place)."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{url.database}.restored"
    schema = str(url.query["options"]).split("search_path=")[1]
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()
    return db_url


def test_a_backup_restores_to_a_database_whose_trail_verifies(cli, demo_db, tmp_path):
    assert cli("audit", "verify", "--records", "--db", demo_db).code == 0
    entries = _entries(demo_db)
    out = tmp_path / "trial.backup"
    result = cli("db", "backup", "--out", out, "--db", demo_db)
    assert result.code == 0, result
    assert out.stat().st_size > 0
    target = _lose(demo_db)
    result = cli("db", "restore", out, "--db", target)
    assert result.code == 0, result
    verified = cli("audit", "verify", "--records", "--db", target)
    assert verified.code == 0, verified
    assert f"audit trail intact: {entries} entries verified" in verified.out
    assert "every audited record matches its trail" in verified.out


def test_a_restore_never_overwrites_a_trial_and_a_backup_never_overwrites_a_file(
    cli, demo_db, tmp_path
):
    out = tmp_path / "trial.backup"
    assert cli("db", "backup", "--out", out, "--db", demo_db).code == 0
    assert_one_plain_error(cli("db", "backup", "--out", out, "--db", demo_db), f"{out} exists")
    before = _entries(demo_db)
    assert_one_plain_error(
        cli("db", "restore", out, "--db", demo_db), "already holds an msctrial database"
    )
    assert _entries(demo_db) == before


@pytest.mark.postgres
def test_without_pg_dump_a_postgresql_backup_is_one_plain_error(
    cli, tmp_path, monkeypatch, pg_engine
):
    from msctrial.core.session import create_all

    create_all(pg_engine)
    monkeypatch.setenv("PATH", str(tmp_path))
    url = pg_engine.url.render_as_string(hide_password=False)
    result = cli("db", "backup", "--out", tmp_path / "x.backup", "--db", url)
    assert_one_plain_error(result, "pg_dump is not installed")
    assert not (tmp_path / "x.backup").exists()
