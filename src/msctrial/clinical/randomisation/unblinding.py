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
from msctrial.clinical.randomisation.service import check_request_key
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
from msctrial.core.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from msctrial.core.tables import Site
from msctrial.core.users import reauthenticate


@dataclass(frozen=True)
class Unblinding:
    id: int
    subject_code: str
    arm: str
    product: str
    unblinded_by: str
    unblinded_at: dt.datetime
    reason: str


# Who learns what when the blind is broken: shown before the investigator signs.
UNBLINDING_TOLD = (
    "you see this subject's arm, on the next page, once",
    "monitors, the sponsor and the DSMB see that the blind was broken: who, when and why, "
    "never the arm",
    "the site's other staff stay blinded",
)


def _result(session: Session, subject: Subject, record: EmergencyUnblinding) -> Unblinding:
    allocation = allocation_of(session, subject)
    assert allocation is not None  # an unblinding exists only for an allocated subject
    arm = arm_named(protocol_for(session, subject).protocol, allocation.arm)
    return Unblinding(
        record.id,
        subject.subject_code,
        arm.name,
        arm.product.value,
        record.unblinded_by,
        record.unblinded_at,
        record.reason,
    )


def emergency_unblind(
    session: Session,
    actor: Actor,
    subject_code: str,
    reason: str | None,
    *,
    password: str | None,
    request_key: str | None = None,
) -> Unblinding:
    """Reveal one subject's arm to their investigator in an emergency: signed, with a reason.

    Idempotent: a request repeating an earlier ``request_key`` gets that unblinding back and
    breaks nothing twice.
    """
    key = check_request_key(request_key)
    subject = get_subject(session, actor, subject_code)
    actor.require("investigator", site_id=subject.site_id, to="break the blind")
    if key:
        earlier = session.scalar(
            select(EmergencyUnblinding).where(EmergencyUnblinding.request_key == key)
        )
        if earlier is not None:
            if earlier.subject_id != subject.id or earlier.unblinded_by != actor.audit_name:
                raise Conflict(
                    "request_key: this key was used for another unblinding; send a new key",
                    field="request_key",
                )
            return _result(session, subject, earlier)
    why = audit.require_reason(reason, "break the blind")
    if allocation_of(session, subject) is None:
        raise RuleViolation(
            f"subject: {subject.subject_code} is not randomised; there is no arm to reveal",
            field="subject",
        )
    reauthenticate(session, actor, password or "")
    audit.attach(session, actor)
    record = EmergencyUnblinding(
        subject_id=subject.id,
        site_id=subject.site_id,
        reason=why,
        unblinded_by=actor.audit_name,
        request_key=key,
    )
    with audit.because(session, why, action="unblind"):
        session.add(record)
    session.commit()
    return _result(session, subject, record)


def unblinding_result(
    session: Session, actor: Actor, subject_code: str, unblinding_id: int
) -> Unblinding:
    """The arm an unblinding revealed, shown again only to the investigator who broke it."""
    subject = get_subject(session, actor, subject_code)
    record = session.get(EmergencyUnblinding, unblinding_id)
    if record is None or record.subject_id != subject.id:
        raise NotFound(
            f"unblinding: {subject.subject_code} has no unblinding {unblinding_id}",
            field="unblinding",
        )
    if record.unblinded_by != actor.audit_name or not actor.has_role(
        "investigator", site_id=subject.site_id
    ):
        raise PermissionDenied(
            "only the investigator who broke this blind sees its result", field="unblinding"
        )
    return _result(session, subject, record)


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
