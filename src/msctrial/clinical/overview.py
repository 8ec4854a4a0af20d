"""Read use cases: subjects, their case file and the pharmacy's work list, as each actor may see.

Every function takes the acting user and returns public schemas (``schemas.py``), never ORM
rows. Site isolation comes from ``subjects.get_subject``/``list_subjects``; blinding is decided
once here (``randomise.arm_visible``), so pages, the API and exports agree.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from msctrial.clinical import schemas as s
from msctrial.clinical.administration import dose_cells_range
from msctrial.clinical.dispensing import dispensations_of, product_kind_for
from msctrial.clinical.randomise import allocation_of, arm_named, arm_visible, list_unblindings
from msctrial.clinical.schedule import (
    active_dispensation,
    administration_schedule,
    administrations_of,
    deviations_of,
    given_infusions,
)
from msctrial.clinical.subjects import (
    consents_of,
    get_subject,
    list_subjects,
    protocol_for,
    screen_failure_of,
    trial_for,
)
from msctrial.clinical.tables import (
    EmergencyUnblinding,
    Infusion,
    RandomisationList,
    RandomisationSlot,
    Screening,
    Subject,
)
from msctrial.core.errors import NotFound, PermissionDenied
from msctrial.core.tables import Site
from msctrial.core.users import Actor
from msctrial.protocol.model import Protocol


def _sites(session: Session) -> dict[int, str]:
    return {site_id: code for site_id, code in session.execute(select(Site.id, Site.code))}


def subject_public(
    session: Session,
    actor: Actor,
    subject: Subject,
    protocol: Protocol | None = None,
    sites: dict[int, str] | None = None,
) -> s.SubjectPublic:
    """A subject as ``actor`` sees it (the caller has already checked it is visible)."""
    protocol = protocol or protocol_for(session, subject).protocol
    allocation = allocation_of(session, subject)
    fields = dict(
        subject_code=subject.subject_code,
        site=(sites or _sites(session))[subject.site_id],
        year_of_birth=subject.year_of_birth,
        sex=subject.sex,
        weight_kg=subject.weight_kg,
        status=subject.status,
        severity=subject.severity,
        eligible=subject.eligible,
        consented=bool(consents_of(session, subject)),
        randomisation_no=allocation.randomisation_no if allocation else None,
        randomised_at=allocation.allocated_at if allocation else None,
        day0_date=subject.day0_date,
        emergency_unblinded=session.scalar(
            select(func.count()).where(EmergencyUnblinding.subject_id == subject.id)
        )
        > 0,
        created_at=subject.created_at,
    )
    if arm_visible(actor, protocol):
        return s.SubjectUnblinded(**fields, arm=allocation.arm if allocation else None)
    return s.SubjectPublic(**fields)


def subject_list(
    session: Session,
    actor: Actor,
    *,
    site_code: str | None = None,
    status: str | None = None,
    trial_code: str | None = None,
) -> list[s.SubjectPublic]:
    rows = list_subjects(session, actor, trial_code=trial_code, site_code=site_code, status=status)
    sites = _sites(session)
    protocols: dict[int, Protocol] = {}
    out = []
    for subject in rows:
        if subject.trial_id not in protocols:
            protocols[subject.trial_id] = protocol_for(session, subject).protocol
        out.append(subject_public(session, actor, subject, protocols[subject.trial_id], sites))
    return out


def screening_public(row: Screening) -> s.ScreeningPublic:
    return s.ScreeningPublic.model_validate(row)


def subject_detail(session: Session, actor: Actor, subject_code: str) -> s.SubjectDetail:
    subject = get_subject(session, actor, subject_code)
    protocol = protocol_for(session, subject).protocol
    unblinded = arm_visible(actor, protocol)
    numbers = {a.id: a.number for a in administrations_of(session, subject)}
    allocation = allocation_of(session, subject)
    alloc_view = None
    if allocation is not None:
        fields = dict(
            subject_code=subject.subject_code,
            randomisation_no=allocation.randomisation_no,
            allocated_at=allocation.allocated_at,
            allocated_by=allocation.allocated_by,
        )
        alloc_view = (
            s.AllocationUnblinded(**fields, arm=allocation.arm)
            if unblinded
            else s.AllocationPublic(**fields)
        )
    dispensations = []
    for d in dispensations_of(session, subject):
        base = dict(
            administration_no=numbers.get(d.administration_id, 0),
            unit_codes=list(d.unit_codes),
            thawed_at=d.thawed_at,
            dispensed_by=d.dispensed_by,
            dispensed_at=d.dispensed_at,
            voided=d.voided_at is not None,
        )
        dispensations.append(
            s.DispensationUnblinded(
                **base,
                product_kind=d.product_kind,
                lot_codes=list(d.lot_codes),
                cells_total=d.cells_total,
                volume_ml=d.volume_ml,
                max_hold_h=d.max_hold_h,
            )
            if not actor.is_blinded
            else s.DispensationPublic(**base)
        )
    failure = screen_failure_of(session, subject)
    screenings = session.scalars(
        select(Screening).where(Screening.subject_id == subject.id).order_by(Screening.observed_at)
    )
    return s.SubjectDetail(
        subject=subject_public(session, actor, subject, protocol),
        screenings=[screening_public(r) for r in screenings],
        screen_failure=s.ScreenFailurePublic.model_validate(failure) if failure else None,
        consents=[s.ConsentPublic.model_validate(c) for c in consents_of(session, subject)],
        allocation=alloc_view,
        administrations=[
            s.AdministrationPublic.model_validate(a)
            for a in administration_schedule(session, actor, subject.subject_code)
        ],
        dispensations=dispensations,
        infusions=[
            s.InfusionPublic(
                administration_no=numbers.get(i.administration_id, 0),
                **{
                    k: getattr(i, k)
                    for k in s.InfusionPublic.model_fields
                    if k != "administration_no"
                },
            )
            for i in given_infusions(session, subject)
        ],
        deviations=[
            s.DeviationPublic(
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
            s.UnblindingPublic.model_validate(u, from_attributes=True)
            for u in list_unblindings(session, actor)
            if u.subject_code == subject.subject_code
        ],
    )


def unblinding_list(session: Session, actor: Actor) -> list[s.UnblindingPublic]:
    actor.require("investigator", "monitor", "dsmb", "admin", to="see emergency unblindings")
    return [s.UnblindingPublic.model_validate(u) for u in list_unblindings(session, actor)]


def pharmacy_worklist(session: Session, actor: Actor) -> list[s.PharmacyTask]:
    """Administrations of randomised subjects at the pharmacist's sites not yet prepared."""
    actor.require("pharmacist", to="see the pharmacy's work list")
    if actor.is_blinded:  # pharmacists are unblinded; a belt-and-braces check
        raise PermissionDenied("the pharmacy's work list names cells or placebo")
    sites = _sites(session)
    out = []
    for subject in list_subjects(session, actor, status="randomised"):
        if not actor.has_role("pharmacist", site_id=subject.site_id):
            continue
        protocol = protocol_for(session, subject).protocol
        allocation = allocation_of(session, subject)
        if allocation is None:
            continue
        given = {i.administration_id for i in given_infusions(session, subject)}
        views = {v.number: v for v in administration_schedule(session, actor, subject.subject_code)}
        for a in administrations_of(session, subject):
            if a.id in given or active_dispensation(session, a) is not None:
                continue
            kind = product_kind_for(protocol, allocation.arm)
            low = high = None
            arm = arm_named(protocol, allocation.arm)
            if kind == "cells" and arm.dosing and arm.dosing.dose:
                low, high = dose_cells_range(arm.dosing.dose, subject.weight_kg)
            v = views[a.number]
            out.append(
                s.PharmacyTask(
                    subject_code=subject.subject_code,
                    site=sites[subject.site_id],
                    administration_no=a.number,
                    target=v.target,
                    earliest=v.earliest,
                    latest=v.latest,
                    weight_kg=subject.weight_kg,
                    kind=kind,
                    cells_low=low,
                    cells_high=high,
                )
            )
    return sorted(out, key=lambda t: (t.target or dt.date.max, t.subject_code, t.administration_no))


def randomisation_status(
    session: Session, actor: Actor, trial_code: str | None = None
) -> s.RandomisationListPublic:
    """The list's design and fill by stratum, without arms (admin, statistician, DSMB)."""
    actor.require("admin", "statistician", "dsmb", to="see the randomisation list's status")
    trial = trial_for(session, trial_code)
    plist = session.scalar(select(RandomisationList).where(RandomisationList.trial_id == trial.id))
    if plist is None:
        raise NotFound(f"randomisation: trial {trial.code} has no list yet", field="randomisation")
    rows = session.execute(
        select(
            RandomisationSlot.stratum,
            func.count(),
            func.count(RandomisationSlot.used_at),
        )
        .where(RandomisationSlot.list_id == plist.id)
        .group_by(RandomisationSlot.stratum)
        .order_by(RandomisationSlot.stratum)
    )
    return s.RandomisationListPublic(
        trial=trial.code,
        algorithm=plist.algorithm,
        factors=list(plist.factors),
        ratio=":".join(str(plist.ratio[a]) for a in plist.ratio),
        per_stratum=plist.per_stratum,
        created_by=plist.created_by,
        created_at=plist.created_at,
        strata=[s.StratumPublic(stratum=a, slots=b, used=c) for a, b, c in rows],
    )


EXPORT_COLUMNS = [
    "subject_code",
    "site",
    "year_of_birth",
    "sex",
    "weight_kg",
    "status",
    "severity",
    "eligible",
    "consented",
    "randomisation_no",
    "randomised_at",
    "day0_date",
    "emergency_unblinded",
    "infusions",
]


def export_subjects_csv(session: Session, actor: Actor, site_code: str | None = None) -> str:
    """The subject list as CSV: the actor's sites only, an arm column only when unblinded."""
    rows = subject_list(session, actor, site_code=site_code)
    columns = list(EXPORT_COLUMNS)
    if any(isinstance(r, s.SubjectUnblinded) for r in rows) or (not rows and not actor.is_blinded):
        columns.append("arm")
    visible = {
        subj.subject_code: subj.id for subj in list_subjects(session, actor, site_code=site_code)
    }
    counts = {
        subject_id: n
        for subject_id, n in session.execute(
            select(Infusion.subject_id, func.count(Infusion.id))
            .where(Infusion.voided_at.is_(None), Infusion.subject_id.in_(visible.values()))
            .group_by(Infusion.subject_id)
        )
    }
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for r in rows:
        n = counts.get(visible[r.subject_code], 0)
        writer.writerow({**r.model_dump(mode="json"), "infusions": n})
    return buffer.getvalue()
