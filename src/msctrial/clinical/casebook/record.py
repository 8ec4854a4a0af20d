"""A subject's case file and the subject list, as each actor may see them.

Every function takes the acting user and returns public schemas, never ORM rows. Site
isolation comes from ``subjects.access``; blinding is decided once here
(``randomisation.allocation.arm_visible``), so pages, the API and exports agree.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from msctrial.clinical.casebook.schemas import SubjectDetail
from msctrial.clinical.dosing.dispensing import dispensations_of
from msctrial.clinical.dosing.schedule import (
    administration_schedule,
    administrations_of,
    deviations_of,
    given_infusions,
)
from msctrial.clinical.dosing.schemas import (
    AdministrationPublic,
    DeviationPublic,
    DispensationPublic,
    DispensationUnblinded,
    InfusionPublic,
)
from msctrial.clinical.randomisation.allocation import allocation_of, arm_visible
from msctrial.clinical.randomisation.schemas import (
    AllocationPublic,
    AllocationUnblinded,
    UnblindingPublic,
)
from msctrial.clinical.randomisation.tables import EmergencyUnblinding
from msctrial.clinical.randomisation.unblinding import list_unblindings
from msctrial.clinical.subjects.access import get_subject, list_subjects, protocol_for
from msctrial.clinical.subjects.consent import consents_of
from msctrial.clinical.subjects.schemas import (
    ConsentPublic,
    ScreenFailurePublic,
    ScreeningPublic,
    SubjectPublic,
    SubjectUnblinded,
)
from msctrial.clinical.subjects.screening import screen_failure_of
from msctrial.clinical.subjects.tables import Screening, Subject
from msctrial.core.actors import Actor
from msctrial.core.tables import Site
from msctrial.protocol.model import Protocol


def _sites(session: Session) -> dict[int, str]:
    return {site_id: code for site_id, code in session.execute(select(Site.id, Site.code))}


def subject_public(
    session: Session,
    actor: Actor,
    subject: Subject,
    protocol: Protocol | None = None,
    sites: dict[int, str] | None = None,
) -> SubjectPublic:
    """A subject as ``actor`` sees it (the caller has already checked it is visible)."""
    protocol = protocol or protocol_for(session, subject).protocol
    allocation = allocation_of(session, subject)
    fields: dict[str, Any] = dict(
        subject_code=subject.subject_code,
        site=(sites or _sites(session))[subject.site_id],
        year_of_birth=subject.year_of_birth,
        sex=subject.sex,
        weight_kg=subject.weight_kg,
        prescreened_on=subject.prescreened_on,
        status=subject.status,
        severity=subject.severity,
        eligible=subject.eligible,
        consented=bool(consents_of(session, subject)),
        randomisation_no=allocation.randomisation_no if allocation else None,
        randomised_at=allocation.allocated_at if allocation else None,
        day0_date=subject.day0_date,
        emergency_unblinded=(
            session.scalar(select(func.count()).where(EmergencyUnblinding.subject_id == subject.id))
            or 0
        )
        > 0,
        created_at=subject.created_at,
    )
    if arm_visible(actor, protocol):
        return SubjectUnblinded(**fields, arm=allocation.arm if allocation else None)
    return SubjectPublic(**fields)


def subject_list(
    session: Session,
    actor: Actor,
    *,
    site_code: str | None = None,
    status: str | None = None,
    trial_code: str | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[SubjectPublic]:
    """The subjects the actor may see (their sites only for site staff), filtered; ``limit``
    of them from ``offset`` for one page of the list."""
    rows = list_subjects(
        session,
        actor,
        trial_code=trial_code,
        site_code=site_code,
        status=status,
        offset=offset,
        limit=limit,
    )
    sites = _sites(session)
    protocols: dict[int, Protocol] = {}
    out = []
    for subject in rows:
        if subject.trial_id not in protocols:
            protocols[subject.trial_id] = protocol_for(session, subject).protocol
        out.append(subject_public(session, actor, subject, protocols[subject.trial_id], sites))
    return out


def screening_public(row: Screening) -> ScreeningPublic:
    return ScreeningPublic.model_validate(row)


def subject_detail(session: Session, actor: Actor, subject_code: str) -> SubjectDetail:
    """One subject's record as the actor may see it: the arm only for unblinded readers."""
    subject = get_subject(session, actor, subject_code)
    protocol = protocol_for(session, subject).protocol
    unblinded = arm_visible(actor, protocol)
    numbers = {a.id: a.number for a in administrations_of(session, subject)}
    allocation = allocation_of(session, subject)
    alloc_view = None
    if allocation is not None:
        fields: dict[str, Any] = dict(
            subject_code=subject.subject_code,
            randomisation_no=allocation.randomisation_no,
            allocated_at=allocation.allocated_at,
            allocated_by=allocation.allocated_by,
        )
        alloc_view = (
            AllocationUnblinded(**fields, arm=allocation.arm)
            if unblinded
            else AllocationPublic(**fields)
        )
    dispensations = []
    for d in dispensations_of(session, subject):
        base: dict[str, Any] = dict(
            administration_no=numbers.get(d.administration_id, 0),
            unit_codes=list(d.unit_codes),
            thawed_at=d.thawed_at,
            dispensed_by=d.dispensed_by,
            dispensed_at=d.dispensed_at,
            voided=d.voided_at is not None,
        )
        dispensations.append(
            DispensationUnblinded(
                **base,
                product_kind=d.product_kind,
                lot_codes=list(d.lot_codes),
                cells_total=d.cells_total,
                volume_ml=d.volume_ml,
                max_hold_h=d.max_hold_h,
            )
            if not actor.is_blinded
            else DispensationPublic(**base)
        )
    failure = screen_failure_of(session, subject)
    screenings = session.scalars(
        select(Screening).where(Screening.subject_id == subject.id).order_by(Screening.observed_at)
    )
    return SubjectDetail(
        subject=subject_public(session, actor, subject, protocol),
        screenings=[screening_public(r) for r in screenings],
        screen_failure=ScreenFailurePublic.model_validate(failure) if failure else None,
        consents=[ConsentPublic.model_validate(c) for c in consents_of(session, subject)],
        allocation=alloc_view,
        administrations=[
            AdministrationPublic.model_validate(a)
            for a in administration_schedule(session, actor, subject.subject_code)
        ],
        dispensations=dispensations,
        infusions=[
            InfusionPublic(
                administration_no=numbers.get(i.administration_id, 0),
                **{
                    k: getattr(i, k)
                    for k in InfusionPublic.model_fields
                    if k != "administration_no"
                },
            )
            for i in given_infusions(session, subject)
        ],
        deviations=[
            DeviationPublic(
                administration_no=numbers.get(d.administration_id) if d.administration_id else None,
                kind=d.kind,
                description=d.description,
                reason=d.reason,
                approved_by=d.approved_by,
                recorded_at=d.recorded_at,
            )
            for d in deviations_of(session, subject)
        ],
        unblindings=[
            UnblindingPublic.model_validate(u, from_attributes=True)
            for u in list_unblindings(session, actor)
            if u.subject_code == subject.subject_code
        ],
    )
