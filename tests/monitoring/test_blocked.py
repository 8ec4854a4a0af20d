"""Refused dispensings are kept (table dispensing_refusal, message sealed) and counted with
the bedside checks that refused units, per infusion (KRI BLKD)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from msctrial.clinical.dosing.dispensing import dispense_administration
from msctrial.clinical.dosing.tables import Dispensation, DispensingRefusal
from msctrial.clinical.randomisation.tables import PlannedAdministration
from msctrial.clinical.subjects.tables import Subject
from msctrial.core.actors import Actor, Grant
from msctrial.core.audit import verify_chain
from msctrial.core.errors import RuleViolation
from msctrial.core.tables import AuditEntry, Site
from msctrial.monitoring.service import key_risk_indicators, kri_records
from tests.monitoring.conftest import AS_OF

MONITOR = Actor("monitor", grants=(Grant("monitor"),))
PHARMACY = Actor.system_actor("pharmacy")


def _undispensed(session) -> tuple[Subject, PlannedAdministration]:  # noqa: ANN001
    """A randomised subject's administration whose dispensation is voided (written directly
    in this private copy of the trial), so it may be dispensed again."""
    subject = session.scalars(
        select(Subject).where(Subject.status == "randomised").order_by(Subject.id)
    ).first()
    adm = session.scalars(
        select(PlannedAdministration)
        .where(PlannedAdministration.subject_id == subject.id)
        .order_by(PlannedAdministration.number.desc())
    ).first()
    session.execute(
        update(Dispensation)
        .where(Dispensation.administration_id == adm.id)
        .values(voided_at=AS_OF - dt.timedelta(hours=1), void_reason="test")
    )
    session.commit()
    return subject, adm


def test_a_refused_dispensing_is_kept_sealed_and_counted(world):
    s = world.session
    subject, adm = _undispensed(s)
    site = s.get(Site, subject.site_id).code
    before = key_risk_indicators(s, MONITOR, now=AS_OF).row("BLKD", site)
    with pytest.raises(RuleViolation):
        # Thawed ten hours ago: past any hold time, if no schedule rule refuses it first.
        dispense_administration(
            s,
            PHARMACY,
            subject.subject_code,
            adm.number,
            thawed_at=AS_OF - dt.timedelta(hours=10),
            now=AS_OF - dt.timedelta(minutes=5),
        )
    refusal = s.scalars(select(DispensingRefusal)).one()
    assert (refusal.subject_id, refusal.administration_no) == (subject.id, adm.number)
    assert refusal.message and refusal.refused_by == PHARMACY.audit_name
    live = select(Dispensation.id).where(
        Dispensation.administration_id == adm.id, Dispensation.voided_at.is_(None)
    )
    assert s.scalar(live) is None
    entry = s.scalars(select(AuditEntry).where(AuditEntry.entity == "dispensing_refusal")).one()
    assert refusal.message not in str(entry.changes)  # sealed like the other blinded fields
    assert verify_chain(s).ok
    after = key_risk_indicators(s, MONITOR, now=AS_OF).row("BLKD", site)
    assert after is not None and before is not None
    assert after.numerator == before.numerator + 1
    _, records = kri_records(s, MONITOR, "BLKD", site=site, now=AS_OF)
    assert f"{subject.subject_code} dispensing {adm.number} refused" in records[0].records
