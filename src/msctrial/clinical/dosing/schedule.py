"""The administration schedule of a randomised subject, and investigator overrides.

- ``plan_administrations(session, subject, arm, protocol)``: called by randomisation, in its
  transaction; one planned administration per scheduled day of the allocated arm.
- ``administration_schedule(session, actor, subject_code)``: each administration with its
  window, nominal dose and state (planned, dispensed, given) — the same for every arm.
- ``override_schedule(session, actor, subject_code, planned_on=..., reason=...,
  administration_no=None)`` (investigator): allows an administration out of its window,
  too soon after the previous one, or beyond the schedule (a new, unscheduled one); each rule
  broken is recorded as a protocol deviation with the reason.
- ``unresolved_problems(...)``: what dispensing and the bedside check before going ahead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from msctrial.clinical.dosing import rules as adm
from msctrial.clinical.dosing.tables import Dispensation, Infusion, ProtocolDeviation
from msctrial.clinical.randomisation.plan import dose_text
from msctrial.clinical.randomisation.tables import PlannedAdministration
from msctrial.clinical.subjects.access import get_subject, site_of
from msctrial.clinical.subjects.consent import require_consent
from msctrial.clinical.subjects.model import SubjectStatus
from msctrial.clinical.subjects.tables import Subject
from msctrial.core import audit
from msctrial.core.actors import Actor
from msctrial.core.errors import InvalidInput, NotFound, RuleViolation
from msctrial.core.settings import Settings
from msctrial.protocol import dosing
from msctrial.protocol.ruleset import load_guidance


def guidance_limits(settings: Settings | None = None) -> adm.ScheduleLimits:
    """Infusion count and interval limits from the deployment's expert-guidance ruleset."""
    g = load_guidance(settings.ruleset if settings else None)
    return adm.ScheduleLimits(g.infusions.max, g.interval.min_days, g.id)


def administrations_of(session: Session, subject: Subject) -> list[PlannedAdministration]:
    return list(
        session.scalars(
            select(PlannedAdministration)
            .where(
                PlannedAdministration.subject_id == subject.id,
                PlannedAdministration.voided_at.is_(None),
            )
            .order_by(PlannedAdministration.number)
        )
    )


def get_administration(session: Session, subject: Subject, number: int) -> PlannedAdministration:
    for a in administrations_of(session, subject):
        if a.number == number:
            return a
    raise NotFound(
        f"administration: {subject.subject_code} has no administration {number}",
        field="administration",
    )


def given_infusions(session: Session, subject: Subject) -> list[Infusion]:
    return list(
        session.scalars(
            select(Infusion)
            .where(Infusion.subject_id == subject.id, Infusion.voided_at.is_(None))
            .order_by(Infusion.started_at)
        )
    )


def active_dispensation(
    session: Session, administration: PlannedAdministration
) -> Dispensation | None:
    return session.scalar(
        select(Dispensation).where(
            Dispensation.administration_id == administration.id,
            Dispensation.voided_at.is_(None),
        )
    )


def _planned(a: PlannedAdministration) -> dosing.PlannedDose:
    return dosing.PlannedDose(a.number, a.study_day, a.window_days, a.optional)


def scheduled_count(session: Session, subject: Subject) -> int:
    return sum(1 for a in administrations_of(session, subject) if not a.unscheduled)


def day_of(session: Session, subject: Subject, when: dt.datetime) -> int:
    """Study day of a moment at the subject's site; day 0 when day 0 is not yet fixed."""
    from msctrial.core.localtime import site_local_date

    if subject.day0_date is None:
        return 0
    return dosing.study_day(subject.day0_date, site_local_date(when, site_of(session, subject)))


def problems_for(
    session: Session,
    subject: Subject,
    administration: PlannedAdministration,
    when: dt.datetime | int,
    limits: adm.ScheduleLimits,
) -> list[adm.ScheduleProblem]:
    """Schedule rules broken by giving ``administration`` at ``when`` (a time or a study day)."""
    given_day = when if isinstance(when, int) else day_of(session, subject, when)
    previous = [
        day_of(session, subject, i.started_at)
        for i in given_infusions(session, subject)
        if i.administration_id != administration.id
    ]
    return adm.check_administration(
        _planned(administration),
        given_day,
        previous,
        limits,
        scheduled_count=scheduled_count(session, subject),
    )


def deviations_of(session: Session, subject: Subject) -> list[ProtocolDeviation]:
    return list(
        session.scalars(
            select(ProtocolDeviation)
            .where(
                ProtocolDeviation.subject_id == subject.id,
                ProtocolDeviation.voided_at.is_(None),
            )
            .order_by(ProtocolDeviation.recorded_at)
        )
    )


def unresolved_problems(
    session: Session,
    subject: Subject,
    administration: PlannedAdministration,
    when: dt.datetime,
    limits: adm.ScheduleLimits,
) -> list[adm.ScheduleProblem]:
    """Broken schedule rules that no investigator override covers."""
    overridden = {
        d.kind for d in deviations_of(session, subject) if d.administration_id == administration.id
    }
    return [
        p
        for p in problems_for(session, subject, administration, when, limits)
        if p.kind not in overridden
    ]


def refuse_unless_overridden(problems: list[adm.ScheduleProblem]) -> None:
    if problems:
        raise RuleViolation(
            "; ".join(p.message for p in problems)
            + ". An investigator may override this with a reason (a protocol deviation).",
            field="schedule",
            problems=[{"kind": p.kind.value, "message": p.message} for p in problems],
        )


@dataclass(frozen=True)
class AdministrationView:
    number: int
    study_day: int
    window_days: int
    earliest: dt.date | None
    target: dt.date | None
    latest: dt.date | None
    optional: bool
    unscheduled: bool
    dose_text: str
    nominal_cells: float | None
    state: str  # planned, dispensed, given
    deviations: list[str] = field(default_factory=list)


def administration_schedule(
    session: Session, actor: Actor, subject_code: str
) -> list[AdministrationView]:
    """The subject's administrations as anyone who may see the subject sees them."""
    subject = get_subject(session, actor, subject_code)
    given = {i.administration_id for i in given_infusions(session, subject)}
    deviations = deviations_of(session, subject)
    out = []
    for a in administrations_of(session, subject):
        earliest = target = latest = None
        if subject.day0_date is not None:
            earliest, target, latest = dosing.window_dates(subject.day0_date, _planned(a))
        state = (
            "given"
            if a.id in given
            else ("dispensed" if active_dispensation(session, a) else "planned")
        )
        out.append(
            AdministrationView(
                a.number,
                a.study_day,
                a.window_days,
                earliest,
                target,
                latest,
                a.optional,
                a.unscheduled,
                a.dose_text,
                a.nominal_cells,
                state,
                [d.kind for d in deviations if d.administration_id == a.id],
            )
        )
    return out


def override_schedule(
    session: Session,
    actor: Actor,
    subject_code: str,
    *,
    planned_on: dt.date,
    reason: str | None,
    administration_no: int | None = None,
    settings: Settings | None = None,
) -> list[ProtocolDeviation]:
    """Allow an administration on ``planned_on`` that breaks a schedule rule; record why.

    Without ``administration_no`` a new unscheduled administration is added (e.g. a fourth).
    """
    subject = get_subject(session, actor, subject_code, for_update=True)
    actor.require("investigator", site_id=subject.site_id, to="override the schedule")
    why = audit.require_reason(reason, "override the administration schedule")
    if subject.status != SubjectStatus.randomised:
        raise RuleViolation(
            f"subject: {subject.subject_code} is {subject.status}, not randomised",
            field="subject",
        )
    require_consent(session, subject)
    if not isinstance(planned_on, dt.date):
        raise InvalidInput("planned_on: give a date, e.g. 2026-03-10", field="planned_on")
    limits = guidance_limits(settings)
    audit.attach(session, actor)
    existing = administrations_of(session, subject)
    day = dosing.study_day(subject.day0_date, planned_on) if subject.day0_date else 0
    if day < 0:
        raise InvalidInput("planned_on: the date is before day 0", field="planned_on")
    if administration_no is None:
        template = existing[-1] if existing else None
        administration = PlannedAdministration(
            subject_id=subject.id,
            site_id=subject.site_id,
            number=(existing[-1].number + 1) if existing else 1,
            study_day=day,
            window_days=0,
            unscheduled=True,
            dose_text=template.dose_text if template else dose_text(None),
            nominal_cells=template.nominal_cells if template else None,
        )
        session.add(administration)
        session.flush()
    else:
        administration = get_administration(session, subject, administration_no)
    problems = problems_for(session, subject, administration, day, limits)
    if administration.unscheduled and not any(
        p.kind == adm.DeviationKind.extra_administration for p in problems
    ):
        problems.append(
            adm.ScheduleProblem(
                adm.DeviationKind.extra_administration,
                f"administration {administration.number} is not in the protocol's schedule",
            )
        )
    if not problems:
        raise RuleViolation(
            f"administration {administration.number} on {planned_on} breaks no schedule rule; "
            "no override is needed",
            field="planned_on",
        )
    records = [
        ProtocolDeviation(
            subject_id=subject.id,
            site_id=subject.site_id,
            administration_id=administration.id,
            kind=p.kind.value,
            description=f"{p.message} (planned for {planned_on.isoformat()})",
            reason=why,
            approved_by=actor.audit_name,
        )
        for p in problems
    ]
    with audit.because(session, why, action="deviation"):
        session.add_all(records)
    session.commit()
    return records
