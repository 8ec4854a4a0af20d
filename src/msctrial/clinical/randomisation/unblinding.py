"""Emergency unblinding: an investigator learns one subject's arm, with a reason, on the trail.

``emergency_unblind`` returns the arm to that investigator only; ``list_unblindings`` tells
monitors that the blind was broken (who, when, why), never the arm.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from msctrial.clinical.randomisation.allocation import allocation_of, arm_named
from msctrial.clinical.randomisation.tables import (
    EmergencyUnblinding,
)
from msctrial.clinical.subjects.access import (
    get_subject,
    protocol_for,
    visible_sites,
)
from msctrial.clinical.subjects.tables import Subject
from msctrial.core import audit
from msctrial.core.actors import Actor
from msctrial.core.errors import RuleViolation
from msctrial.core.tables import Site


@dataclass(frozen=True)
class Unblinding:
    subject_code: str
    arm: str
    product: str
    unblinded_by: str
    unblinded_at: dt.datetime
    reason: str


def emergency_unblind(
    session: Session, actor: Actor, subject_code: str, reason: str | None
) -> Unblinding:
    """Reveal one subject's arm to their investigator in an emergency, with a reason."""
    subject = get_subject(session, actor, subject_code)
    actor.require("investigator", site_id=subject.site_id, to="break the blind")
    why = audit.require_reason(reason, "break the blind")
    allocation = allocation_of(session, subject)
    if allocation is None:
        raise RuleViolation(
            f"subject: {subject.subject_code} is not randomised; there is no arm to reveal",
            field="subject",
        )
    audit.attach(session, actor)
    record = EmergencyUnblinding(
        subject_id=subject.id,
        site_id=subject.site_id,
        reason=why,
        unblinded_by=actor.audit_name,
    )
    with audit.because(session, why, action="unblind"):
        session.add(record)
    session.commit()
    arm = arm_named(protocol_for(session, subject).protocol, allocation.arm)
    return Unblinding(
        subject.subject_code,
        arm.name,
        arm.product.value,
        record.unblinded_by,
        record.unblinded_at,
        why,
    )


@dataclass(frozen=True)
class UnblindingEvent:
    """That a blind was broken, for monitors: who, when, why; never the arm."""

    subject_code: str
    site_code: str
    unblinded_by: str
    unblinded_at: dt.datetime
    reason: str


def list_unblindings(session: Session, actor: Actor) -> list[UnblindingEvent]:
    scope = visible_sites(actor)
    stmt = (
        select(EmergencyUnblinding, Subject.subject_code, Site.code)
        .join(Subject, Subject.id == EmergencyUnblinding.subject_id)
        .join(Site, Site.id == EmergencyUnblinding.site_id)
        .order_by(EmergencyUnblinding.unblinded_at.desc())
    )
    if scope is not None:
        stmt = stmt.where(EmergencyUnblinding.site_id.in_(scope))
    return [
        UnblindingEvent(code, site, u.unblinded_by, u.unblinded_at, u.reason)
        for u, code, site in session.execute(stmt)
    ]
