"""The audit trail: every write recorded, reasons required, nothing deleted, tampering found."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from msctrial.core import audit
from msctrial.core.errors import Conflict, ReasonRequired
from msctrial.core.sites import add_site
from msctrial.core.tables import AuditEntry, AuditHead, RoleGrant, Site
from msctrial.core.users import add_user


def entries(session):
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def test_creating_a_record_writes_one_entry_with_every_value(session, system):
    site = add_site(session, system, "WUH", "Wuhan", altitude_m=37)
    [entry] = entries(session)
    assert entry.action == "create"
    assert entry.entity == "site" and entry.entity_id == str(site.id)
    assert entry.actor == "system:test"
    assert entry.changes["code"] == [None, "WUH"]
    assert entry.changes["altitude_m"] == [None, 37]
    assert entry.prev_hash == audit.GENESIS
    assert entry.at.tzinfo is not None


def test_changing_a_record_without_a_reason_is_refused_and_nothing_is_written(session, system):
    site = add_site(session, system, "WUH", "Wuhan")
    audit.attach(session, system)
    site.name = "Wuhan Union"
    with pytest.raises(ReasonRequired):
        session.flush()
    session.rollback()
    assert session.get(Site, site.id).name == "Wuhan"
    assert len(entries(session)) == 1


def test_a_change_with_a_reason_records_old_and_new_values(session, system):
    site = add_site(session, system, "WUH", "Wuhan")
    audit.attach(session, system)
    with audit.because(session, "official name"):
        site.name = "Wuhan Union"
    session.commit()
    last = entries(session)[-1]
    assert last.action == "update"
    assert last.changes == {"name": ["Wuhan", "Wuhan Union"]}
    assert last.reason == "official name"


def test_deleting_an_audited_record_is_refused(session, system):
    site = add_site(session, system, "WUH", "Wuhan")
    session.delete(site)
    with pytest.raises(Conflict, match="void"):
        session.flush()


def test_voiding_is_recorded_as_a_void_with_its_reason(session, system):
    add_site(session, system, "WUH", "Wuhan")
    user = add_user(session, system, "li.wei", "long-password", grants=[("investigator", "WUH")])
    grant = session.scalar(select(RoleGrant).where(RoleGrant.user_id == user.id))
    audit.attach(session, system)
    from msctrial.core.db import utcnow

    with audit.because(session, "left the study"):
        grant.voided_at = utcnow()
        grant.void_reason = "left the study"
    session.commit()
    last = entries(session)[-1]
    assert last.action == "void" and last.reason == "left the study"


def test_password_hashes_never_appear_in_the_trail(session, system):
    add_user(session, system, "li.wei", "long-password")
    created = [e for e in entries(session) if e.entity == "app_user"][0]
    assert created.changes["password_hash"] == [None, audit.SECRET]
    assert "argon2" not in str(created.changes)


def test_the_chain_verifies_after_many_writes(session, system):
    for i in range(5):
        add_site(session, system, f"S{i}X", f"Site {i}")
    report = audit.verify_chain(session)
    assert report.ok and report.entries == 5


def test_editing_an_entry_behind_the_apps_back_is_detected(session, system):
    for i in range(4):
        add_site(session, system, f"S{i}X", f"Site {i}")
    session.execute(text("UPDATE audit_entry SET reason = 'forged' WHERE seq = 2"))
    session.commit()
    report = audit.verify_chain(session)
    assert not report.ok
    assert report.first_broken_seq == 2


def test_editing_the_last_entry_is_detected_by_the_head(session, system):
    for i in range(3):
        add_site(session, system, f"S{i}X", f"Site {i}")
    session.execute(text("UPDATE audit_entry SET actor = 'mallory' WHERE seq = 3"))
    session.commit()
    report = audit.verify_chain(session)
    assert not report.ok and report.first_broken_seq == 3


def test_deleting_an_entry_behind_the_apps_back_is_detected(session, system):
    for i in range(3):
        add_site(session, system, f"S{i}X", f"Site {i}")
    session.execute(text("DELETE FROM audit_entry WHERE seq = 2"))
    session.commit()
    report = audit.verify_chain(session)
    assert not report.ok and report.first_broken_seq == 2


def test_editing_clinical_data_without_the_app_leaves_the_trail_consistent_but_visible(
    session, system
):
    """A row changed by plain SQL has no audit entry: the trail shows the last audited value."""
    site = add_site(session, system, "WUH", "Wuhan")
    session.execute(text("UPDATE site SET name = 'Tampered' WHERE id = :id"), {"id": site.id})
    session.commit()
    session.expire_all()
    trail = audit.history(session, "site", site.id)
    assert trail[-1].changes["name"][1] == "Wuhan"
    assert session.get(Site, site.id).name == "Tampered"


def test_the_head_records_the_last_sequence(session, system):
    add_site(session, system, "WUH", "Wuhan")
    add_site(session, system, "BJS", "Beijing")
    head = session.get(AuditHead, 1)
    assert head.last_seq == 2
