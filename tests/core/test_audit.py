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
    with pytest.raises(ReasonRequired, match=r"changing existing site data needs a reason"):
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


def test_concurrent_writers_leave_one_unbroken_chain(factory, engine):
    """Threads writing at once, each in its own session, on SQLite and PostgreSQL."""
    import threading

    from msctrial.core.actors import Actor

    writers, writes = 4, 6
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def write(n: int) -> None:
        try:
            start.wait()
            for i in range(writes):
                with factory() as s:
                    add_site(s, Actor.system_actor(f"thread{n}"), f"T{n}S{i}", f"Site {n}.{i}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    with factory() as s:
        report = audit.verify_chain(s)
        assert report.ok, report
        assert report.entries == writers * writes
        seqs = list(s.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq)))
        assert seqs == list(range(1, writers * writes + 1))
        actors = {e.actor for e in s.scalars(select(AuditEntry))}
        assert actors == {f"system:thread{n}" for n in range(writers)}


def _spine_records(session, system):  # noqa: ANN001, ANN202
    import yaml

    from msctrial.core.tables import ApiToken, User
    from msctrial.core.users import create_token
    from msctrial.protocol.service import save_protocol
    from msctrial.protocol.tables import ProtocolVersion, Trial
    from tests.protocol.conftest import reference_data

    add_site(session, system, "WUH", "Wuhan")
    user = add_user(session, system, "li.wei", "long-password", grants=[("investigator", "WUH")])
    create_token(session, system, user)
    save_protocol(session, system, yaml.safe_dump(reference_data()), trial_code="MSC-1")
    return [Site, User, RoleGrant, ApiToken, Trial, ProtocolVersion]


def test_no_audited_record_of_the_spine_can_be_deleted(session, system):
    for table in _spine_records(session, system):
        row = session.scalars(select(table)).first()
        session.delete(row)
        with pytest.raises(Conflict, match="never deleted"):
            session.flush()
        session.rollback()
    assert audit.verify_chain(session).ok


def test_no_audited_record_of_the_spine_can_be_changed_without_a_reason(session, system):
    for table in _spine_records(session, system):
        row = session.scalars(select(table)).first()
        audit.attach(session, system)
        column = next(c for c in ("name", "full_name", "label", "title", "role") if hasattr(row, c))
        setattr(row, column, "changed quietly")
        with pytest.raises(ReasonRequired, match=table.__tablename__):
            session.flush()
        session.rollback()


def test_a_failed_flush_leaves_neither_data_nor_audit_entries(session, factory, system):
    add_site(session, system, "WUH", "Wuhan")
    audit.attach(session, system)
    session.add(Site(code="BJS", name="Beijing"))
    site = session.scalar(select(Site).where(Site.code == "WUH"))
    site.name = "no reason given"
    with pytest.raises(ReasonRequired, match=r"changing existing site data needs a reason"):
        session.commit()
    session.rollback()
    with factory() as fresh:
        assert [s.code for s in fresh.scalars(select(Site))] == ["WUH"]
        assert len(entries(fresh)) == 1


def test_an_audited_write_with_no_acting_user_is_refused(factory):
    from msctrial.core.errors import MsctrialError

    with factory() as s:
        s.add(Site(code="WUH", name="Wuhan"))
        with pytest.raises(MsctrialError, match="no acting user"):
            s.flush()


def test_blinded_columns_are_sealed_and_shown_only_to_unblinded_readers(session, trial):
    from msctrial.core.db import utcnow
    from msctrial.core.tables import AuditEntry as Entry

    # A sealed entry as a blinded package writes it: arm hidden in changes, kept in sealed.
    head = session.get(AuditHead, 1)
    entry = {
        "seq": head.last_seq + 1,
        "at": utcnow(),
        "actor": "pharmacist",
        "action": "create",
        "entity": "allocation",
        "entity_id": "1",
        "changes": {"arm": [None, audit.SEALED]},
        "sealed_changes": {"arm": [None, "UC-MSC"]},
        "reason": None,
        "site_id": trial.sites["WUH"].id,
        "prev_hash": head.last_hash,
    }
    key_id, secret = audit.keyring_of(session).signing()
    entry["key_id"] = key_id
    session.add(Entry(**entry))
    head.last_seq, head.last_hash = entry["seq"], audit.entry_hash(entry, secret)
    session.commit()
    assert audit.verify_chain(session).ok
    seen_by = {
        who: audit.read_trail(session, trial.actor(who), entity="allocation")
        for who in ("investigator", "monitor", "pharmacist", "dsmb", "investigator.bjs")
    }
    assert "sealed_changes" not in seen_by["investigator"][0]
    assert "sealed_changes" not in seen_by["monitor"][0]
    assert seen_by["pharmacist"][0]["sealed_changes"] == {"arm": [None, "UC-MSC"]}
    assert seen_by["dsmb"][0]["sealed_changes"] == {"arm": [None, "UC-MSC"]}
    assert seen_by["investigator.bjs"] == []  # another site's entry


def test_site_staff_read_only_their_sites_entries(session, trial):
    from msctrial.core.users import add_user as add

    add(
        session, trial.actor("admin"), "nurse.kmg", "long-password", grants=[("coordinator", "KMG")]
    )
    kmg = trial.sites["KMG"].id
    coordinator = trial.actor("coordinator")  # at WUH
    own_view = audit.read_trail(session, coordinator, limit=1000)
    assert own_view
    for e in own_view:
        assert e["site_id"] == trial.sites["WUH"].id
    monitor_view = audit.read_trail(session, trial.actor("monitor"), limit=1000)
    assert any(e["site_id"] == kmg for e in monitor_view)
