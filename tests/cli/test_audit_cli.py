"""``msctrial audit verify``: 0 on an intact chain, 1 naming the first entry edited by plain SQL.

Runs on SQLite and PostgreSQL: the demo is built in an empty database of each backend.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, text

from tests.cli.conftest import assert_one_plain_error


@pytest.fixture
def demo_db(cli, db_url):  # noqa: ANN001, ANN201
    result = cli("demo", "--no-serve", "--subjects", "2", "--db", db_url)
    assert result.code == 0, result
    return db_url


def sql(db_url: str, statement: str) -> None:
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text(statement))
    engine.dispose()


def test_the_chain_verifies_after_the_demo(cli, demo_db):
    result = cli("audit", "verify", "--db", demo_db)
    assert result.code == 0
    assert result.out.startswith("audit trail intact: ") and "entries verified" in result.out
    data = json.loads(cli("audit", "verify", "--db", demo_db, "--json").out)
    assert data["ok"] and data["entries"] > 20 and data["first_broken_seq"] is None


@pytest.mark.parametrize(
    ("statement", "broken", "says"),
    [
        (
            "UPDATE audit_entry SET reason = 'quietly changed' WHERE seq = 5",
            5,
            "entry 5 was altered",
        ),
        ("UPDATE audit_entry SET actor = 'mallory' WHERE seq = 1", 1, "entry 1 was altered"),
        ("DELETE FROM audit_entry WHERE seq = 7", 7, "entry 7 is missing"),
        ("UPDATE audit_head SET last_seq = last_seq + 1", None, "are missing"),
    ],
    ids=["reason-edited", "first-entry-edited", "entry-deleted", "head-moved"],
)
def test_an_edit_behind_the_apps_back_exits_1_naming_the_first_broken_entry(
    cli, demo_db, statement, broken, says
):
    sql(demo_db, statement)
    result = cli("audit", "verify", "--db", demo_db)
    assert result.code == 1
    assert result.out == ""
    line = result.err.strip()
    assert line.startswith("audit trail BROKEN at entry ") and says in line
    if broken is not None:
        assert line.startswith(f"audit trail BROKEN at entry {broken}:")
    report = json.loads(cli("audit", "verify", "--db", demo_db, "--json").out)
    assert not report["ok"] and says in report["problem"]


def test_editing_the_last_entry_is_found_through_the_head(cli, demo_db):
    engine = create_engine(demo_db)
    with engine.begin() as conn:
        last = conn.execute(text("SELECT max(seq) FROM audit_entry")).scalar()
        conn.execute(text("UPDATE audit_entry SET action = 'read' WHERE seq = :s"), {"s": last})
    engine.dispose()
    result = cli("audit", "verify", "--db", demo_db)
    assert result.code == 1 and f"BROKEN at entry {last}:" in result.err


def test_verify_never_creates_a_database(cli, tmp_path):
    missing = tmp_path / "nowhere.db"
    assert_one_plain_error(cli("audit", "verify", "--db", missing), "no msctrial database at")
    assert not missing.exists()


def test_verify_on_an_empty_or_unreachable_database_is_a_plain_error(cli, tmp_path):
    empty = tmp_path / "empty.db"
    empty.touch()
    assert_one_plain_error(cli("audit", "verify", "--db", empty), "run `msctrial db upgrade`")
    assert_one_plain_error(
        cli("audit", "verify", "--db", "postgresql+psycopg://nobody@127.0.0.1:1/none"),
        "cannot use the database",
    )


def test_a_missing_chain_head_is_reported_without_an_entry_number(cli, demo_db):
    sql(demo_db, "DELETE FROM audit_head")
    result = cli("audit", "verify", "--db", demo_db)
    assert result.code == 1
    assert result.err.strip() == "audit trail BROKEN: the audit head row is missing"


def test_records_changed_with_plain_sql_fail_verify_records(cli, demo_db):
    assert cli("audit", "verify", "--records", "--db", demo_db).code == 0
    sql(demo_db, "UPDATE site SET name = 'Renamed quietly' WHERE code = 'BJS'")
    plain = cli("audit", "verify", "--db", demo_db)
    assert plain.code == 0  # the chain itself is intact
    result = cli("audit", "verify", "--records", "--db", demo_db)
    assert result.code == 1
    assert "record changed around the application: site " in result.err
    assert "name is 'Renamed quietly' but the audit trail last recorded" in result.err
    report = json.loads(cli("audit", "verify", "--records", "--json", "--db", demo_db).out)
    assert not report["ok"] and report["records"][0]["column"] == "name"


LAST = "(SELECT max(id) FROM {t})"


@pytest.mark.parametrize(
    ("statements", "gone"),
    [
        ([f"DELETE FROM form_value WHERE id = {LAST.format(t='form_value')}"], ["form_value"]),
        (
            [
                "DELETE FROM form_value WHERE entry_id = (SELECT max(id) FROM form_entry)",
                f"DELETE FROM form_entry WHERE id = {LAST.format(t='form_entry')}",
            ],
            ["form_entry", "form_value"],
        ),
        (
            [
                "DELETE FROM query_message",
                "DELETE FROM data_query",
                "DELETE FROM sae_report",
                "DELETE FROM adverse_event",
            ],
            ["adverse_event", "data_query", "query_message", "sae_report"],
        ),
        ([f"DELETE FROM allocation WHERE id = {LAST.format(t='allocation')}"], ["allocation"]),
        ([f"DELETE FROM consent WHERE id = {LAST.format(t='consent')}"], ["consent"]),
        ([f"DELETE FROM role_grant WHERE id = {LAST.format(t='role_grant')}"], ["role_grant"]),
    ],
    ids=["form_value", "form_entry", "adverse_event", "allocation", "consent", "role_grant"],
)
def test_a_row_deleted_with_plain_sql_is_named_by_verify_records(cli, demo_db, statements, gone):
    engine = create_engine(demo_db)
    with engine.begin() as conn:
        before = {t: conn.execute(text(f"SELECT max(id) FROM {t}")).scalar() for t in gone}
    engine.dispose()
    for statement in statements:
        sql(demo_db, statement)
    result = cli("audit", "verify", "--records", "--db", demo_db)
    assert result.code == 1
    deleted = [line for line in result.err.splitlines() if "deleted around the application" in line]
    named = {line.split(": ", 1)[1].split(" ")[0] for line in deleted}
    assert named == set(gone)
    for table in gone:
        if table in ("form_value", "form_entry"):
            continue  # several rows of these may go; the last id is among them
        assert any(f": {table} {before[table]} is in the audit trail" in ln for ln in deleted)
    report = json.loads(cli("audit", "verify", "--records", "--db", demo_db, "--json").out)
    assert not report["ok"]
    assert {r["entity"] for r in report["records"] if r["kind"] == "deleted"} == set(gone)


@pytest.mark.parametrize(
    "changes",
    ["'[1, 2]'", "'\"text\"'", "'{\"name\": 3}'", "'{\"name\": [1, 2, 3]}'"],
    ids=["list", "string", "not-a-pair", "triple"],
)
def test_a_malformed_entry_is_reported_not_a_crash(cli, demo_db, changes):
    sql(demo_db, f"UPDATE audit_entry SET changes = {changes} WHERE seq = 3")
    result = cli("audit", "verify", "--records", "--db", demo_db)
    assert result.code == 1
    assert "audit entry malformed: audit entry 3 (" in result.err
    assert "Traceback" not in result.err
