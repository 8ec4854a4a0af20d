"""Records against their trail: a value changed, or a record added, with plain SQL is found,
even when the application changed the value again later. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import text

from msctrial.core import audit
from msctrial.core.audit_records import audited_tables, verify_records
from msctrial.core.tables import Site


def plain_sql(session, statement: str, **params) -> None:  # noqa: ANN001, ANN003
    session.execute(text(statement), params)
    session.commit()
    session.expire_all()


def test_every_record_written_by_the_application_matches_its_trail(session, trial):
    assert verify_records(session) == []
    assert {"site", "app_user", "role_grant", "trial", "protocol_version"} <= set(audited_tables())


def test_a_value_changed_with_plain_sql_is_named_with_both_values(session, trial):
    kmg = trial.sites["KMG"].id
    plain_sql(session, "UPDATE site SET altitude_m = 10 WHERE id = :id", id=kmg)
    [found] = verify_records(session)
    assert (found.entity, found.entity_id, found.column) == ("site", str(kmg), "altitude_m")
    assert (found.recorded, found.current) == (1890.0, 10.0)
    assert str(found) == (
        f"site {kmg}: altitude_m is 10.0 but the audit trail last recorded 1890.0"
    )


def test_a_record_inserted_with_plain_sql_has_no_entry(session, trial):
    plain_sql(
        session,
        "INSERT INTO site (code, name, timezone, active) VALUES ('GHO', 'Ghost', 'UTC', :t)",
        t=True,
    )
    [found] = verify_records(session)
    assert found.entity == "site" and found.column is None
    assert "has no audit entry" in str(found)


def test_a_change_around_the_application_is_found_after_the_application_changes_it_again(
    session, trial, system
):
    wuh = trial.sites["WUH"].id
    plain_sql(session, "UPDATE site SET name = 'Quietly renamed' WHERE id = :id", id=wuh)
    site = session.get(Site, wuh)
    audit.attach(session, system)
    with audit.because(session, "official name"):
        site.name = "Wuhan Union Hospital"
    session.commit()
    [found] = verify_records(session)
    assert found.column == "name" and found.before_seq is not None
    assert found.recorded == "Wuhan Union Hospital (demo)"
    assert found.current == "Quietly renamed"
    assert "around the application before entry" in str(found)


def test_secret_columns_are_not_compared(session, trial):
    plain_sql(session, "UPDATE app_user SET password_hash = 'x' WHERE username = 'qc'")
    assert verify_records(session) == []
