"""Informed consent, and the rule that no study procedure is recorded before it.

``record_consent`` takes the patient's or a legally authorised representative's consent (ICH
E6(R2) 4.8); ``require_consent(session, subject, at)`` is called by randomisation, dispensing,
infusions, visits and adverse events.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from msctrial.clinical.subjects.access import (
    SITE_STAFF,
    check_time,
    get_subject,
)
from msctrial.clinical.subjects.model import ConsentSigner, SubjectStatus
from msctrial.clinical.subjects.tables import Consent, Subject
from msctrial.core import audit
from msctrial.core.actors import Actor
from msctrial.core.db import utcnow
from msctrial.core.errors import InvalidInput, RuleViolation


def record_consent(
    session: Session,
    actor: Actor,
    subject_code_text: str,
    *,
    form_version: str,
    consented_at: dt.datetime | None,
    taken_by: str | None = None,
    signer: str = ConsentSigner.subject.value,
    representative_name: str | None = None,
    representative_relationship: str | None = None,
) -> Consent:
    """Informed consent by the patient or a legally authorised representative (ICH E6 4.8)."""
    subject = get_subject(session, actor, subject_code_text, for_update=True)
    actor.require(*SITE_STAFF, site_id=subject.site_id, to="record consent")
    status = SubjectStatus(subject.status)
    if not (status.is_active or status == SubjectStatus.prescreening):
        raise RuleViolation(
            f"subject: {subject.subject_code} is {subject.status}; consent cannot be recorded",
            field="subject",
        )
    version = (form_version or "").strip()
    if not version or len(version) > 40:
        raise InvalidInput(
            "form_version: give the consent form's version, e.g. 2.1 of "
            "2026-01-10 (at most 40 characters)",
            field="form_version",
        )
    if consented_at is None:
        raise InvalidInput("consented_at: give the date and time of consent", field="consented_at")
    when = check_time(consented_at, "consented_at")
    if signer not in ConsentSigner.__members__:
        raise InvalidInput(
            f"signer: {signer!r}; allowed: {', '.join(ConsentSigner)}", field="signer"
        )
    rep = (representative_name or "").strip() or None
    relation = (representative_relationship or "").strip() or None
    if signer == ConsentSigner.legal_representative:
        if not rep:
            raise InvalidInput(
                "representative_name: a representative's consent needs their name",
                field="representative_name",
            )
        if not relation:
            raise InvalidInput(
                "representative_relationship: say how the representative is related to the patient",
                field="representative_relationship",
            )
    elif rep or relation:
        raise InvalidInput(
            "representative_name: only for signer legal_representative", field="representative_name"
        )
    audit.attach(session, actor)
    consent = Consent(
        subject_id=subject.id,
        site_id=subject.site_id,
        form_version=version,
        consented_at=when,
        taken_by=(taken_by or "").strip()[:200] or actor.full_name or actor.audit_name,
        signer=signer,
        representative_name=rep,
        representative_relationship=relation,
        recorded_by=actor.audit_name,
    )
    session.add(consent)
    if status == SubjectStatus.prescreening:
        with audit.because(session, "consented: screening may begin", action="consent"):
            subject.status = SubjectStatus.screening.value
    session.commit()
    return consent


def consents_of(session: Session, subject: Subject) -> list[Consent]:
    return list(
        session.scalars(
            select(Consent)
            .where(Consent.subject_id == subject.id, Consent.voided_at.is_(None))
            .order_by(Consent.consented_at)
        )
    )


def require_consent(session: Session, subject: Subject, at: dt.datetime | None = None) -> Consent:
    """The consent covering a study procedure at ``at``; refuse the procedure if none does."""
    at = at or utcnow()
    consent = session.scalar(
        select(Consent)
        .where(
            Consent.subject_id == subject.id,
            Consent.voided_at.is_(None),
            Consent.consented_at <= at,
        )
        .order_by(Consent.consented_at)
        .limit(1)
    )
    if consent is None:
        raise RuleViolation(
            f"consent: {subject.subject_code} has no informed consent before "
            f"{at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC; record consent before any study procedure",
            field="consent",
        )
    return consent
