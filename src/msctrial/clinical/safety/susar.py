"""The sponsor's assessment of a suspected SUSAR (issue 9, hole 6; ICH E2A).

A serious, related, unexpected event is a *suspected* SUSAR. When the sponsor first knows of
it (the investigator's SAE report is filed, or a later change makes a known SAE one) its
assessment opens, and with it the regulatory clocks: 7 days (fatal or life-threatening, complete
in 15) or 15 days from that day 0.

- ``assess_susar``: a sponsor's safety officer (role ``safety``) unblinds that one case, to
  them alone (another safety officer sees it as blinded staff do),
  signed with the password and a reason, idempotent like an emergency unblinding. On the
  investigational product the case is a SUSAR; on placebo it is not, and its clocks stop with
  that reason. The investigator and the blinded staff keep the blind: the event shows
  "sponsor assessment complete" and nothing else; the conclusion is sealed in the audit trail,
  the regulatory reports are kept from blinded readers altogether.
- ``susar_case``: one case as the safety officer works it; ``list_assessments``: every case,
  the conclusion only for unblinded readers; ``file_regulatory_report``: the safety officer
  records a SUSAR's report to the regulators.
- ``follow_suspicion`` and ``withdraw``: the other services keep the assessment in step with
  the event (opened, its report kinds changed, withdrawn when it is no longer suspected).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from msctrial.clinical.randomisation.allocation import allocation_of, arm_named
from msctrial.clinical.randomisation.service import check_request_key
from msctrial.clinical.safety import rules
from msctrial.clinical.safety.rules import AssessmentState, ReportKind, SusarConclusion
from msctrial.clinical.safety.schemas import (
    AssessmentPublic,
    AssessmentUnblinded,
    RegulatoryReportPublic,
    SusarCasePublic,
)
from msctrial.clinical.safety.tables import AdverseEvent, RegulatoryReport, SusarAssessment
from msctrial.clinical.safety.views import ae_public
from msctrial.clinical.subjects.access import protocol_for, site_code_of, visible_sites
from msctrial.clinical.subjects.tables import Subject
from msctrial.core import audit
from msctrial.core.actors import Actor
from msctrial.core.db import utcnow
from msctrial.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RuleViolation
from msctrial.core.users import reauthenticate

SAFETY = "safety"


# The audit reason of every write of an assessment: the same words whatever the case was, so
# the trail a blinded reader sees does not differ between arms.
ASSESSED = "sponsor assessment of a suspected SUSAR: case unblinded to the sponsor's safety officer"


# --- kept in step by the other safety services (no commit: the caller's transaction) -------


def active_assessment(session: Session, ae_id: int) -> SusarAssessment | None:
    return session.scalar(
        select(SusarAssessment)
        .where(SusarAssessment.ae_id == ae_id, SusarAssessment.voided_at.is_(None))
        .order_by(SusarAssessment.id.desc())
    )


def _reports(session: Session, assessment_id: int) -> list[RegulatoryReport]:
    return list(
        session.scalars(
            select(RegulatoryReport)
            .where(
                RegulatoryReport.assessment_id == assessment_id,
                RegulatoryReport.voided_at.is_(None),
            )
            .order_by(RegulatoryReport.due_at)
        )
    )


def follow_suspicion(session: Session, event: AdverseEvent, day0: dt.datetime) -> None:
    """A suspected SUSAR the sponsor knows of: open its assessment (day 0 is ``day0``) or keep
    its reports to the kinds the seriousness now asks for, from the first day 0."""
    assessment = active_assessment(session, event.id)
    if assessment is None:
        assessment = SusarAssessment(
            ae_id=event.id,
            subject_id=event.subject_id,
            site_id=event.site_id,
            sponsor_aware_at=day0,
        )
        session.add(assessment)
        session.flush()
    if assessment.conclusion is not None and not SusarConclusion(assessment.conclusion).reportable:
        return  # the sponsor found it is no SUSAR: nothing is owed to the regulators
    due = rules.susar_deadlines(
        assessment.sponsor_aware_at, rules.fatal_or_life_threatening(event.seriousness)
    )
    have: dict[str, RegulatoryReport] = {r.kind: r for r in _reports(session, assessment.id)}
    for kind, at in due.items():
        if kind.value not in have:
            session.add(
                RegulatoryReport(
                    assessment_id=assessment.id,
                    ae_id=event.id,
                    subject_id=event.subject_id,
                    site_id=event.site_id,
                    kind=kind.value,
                    clock_start_at=assessment.sponsor_aware_at,
                    due_at=at,
                    assessed_at=assessment.completed_at,
                )
            )
    for name, report in have.items():
        if ReportKind(name) not in due and report.submitted_at is None:
            report.voided_at, report.void_reason = utcnow(), "the event's seriousness changed"
    session.flush()


def withdraw(session: Session, event: AdverseEvent, reason: str, now: dt.datetime) -> None:
    """The event is no longer a suspected SUSAR (or is voided): void the reports not yet filed,
    and a pending assessment; a completed one stays, as the record of what was found."""
    assessment = active_assessment(session, event.id)
    if assessment is None:
        return
    with audit.because(session, reason, action="void"):
        for report in _reports(session, assessment.id):
            if report.submitted_at is None:
                report.voided_at, report.void_reason = now, reason
        if assessment.completed_at is None:
            assessment.voided_at, assessment.void_reason = now, reason


# --- the safety officer's use cases --------------------------------------------------------


def _load(session: Session, actor: Actor, ae_id: int) -> tuple[AdverseEvent, SusarAssessment]:
    scope = visible_sites(actor)
    event = session.get(AdverseEvent, ae_id)
    assessment = None if event is None else active_assessment(session, event.id)
    if (
        event is None
        or assessment is None
        or event.voided_at is not None
        or (scope is not None and event.site_id not in scope)
    ):
        raise NotFound(
            f"adverse event: {ae_id} is no suspected SUSAR the sponsor knows of", field="ae"
        )
    return event, assessment


def _product(session: Session, subject: Subject) -> tuple[str | None, str | None]:
    """The subject's arm and its product kind (cells, placebo); (None, None) if not randomised."""
    allocation = allocation_of(session, subject)
    if allocation is None:
        return None, None
    arm = arm_named(protocol_for(session, subject).protocol, allocation.arm)
    return arm.name, arm.product.value


def assess_susar(
    session: Session,
    actor: Actor,
    ae_id: int,
    reason: str | None,
    *,
    password: str | None,
    request_key: str | None = None,
    now: dt.datetime | None = None,
) -> SusarCasePublic:
    """Unblind one suspected SUSAR to the sponsor's safety officer, signed, and conclude it.

    Idempotent: a request repeating an earlier ``request_key`` gets that case back.
    """
    now = now or utcnow()
    key = check_request_key(request_key)
    actor.require(SAFETY, to="assess a suspected SUSAR")
    event, assessment = _load(session, actor, ae_id)
    if key and assessment.request_key == key:
        return susar_case(session, actor, ae_id, now=now)
    if key and session.scalar(select(SusarAssessment.id).where(SusarAssessment.request_key == key)):
        raise Conflict(
            "request_key: this key was used for another assessment; send a new key",
            field="request_key",
        )
    if assessment.completed_at is not None:
        raise Conflict(
            f"adverse event: {ae_id} was assessed on {assessment.completed_at:%Y-%m-%d} "
            f"by {assessment.completed_by}",
            field="ae",
        )
    why = audit.require_reason(reason, "unblind a suspected SUSAR")
    reauthenticate(session, actor, password or "")
    subject = session.get(Subject, event.subject_id)
    assert subject is not None
    _, product = _product(session, subject)
    conclusion = rules.susar_conclusion(product)
    audit.attach(session, actor)
    with audit.because(session, ASSESSED, action="assess"):
        assessment.completed_at, assessment.completed_by = now, actor.audit_name
        assessment.request_key, assessment.reason = key, why
        assessment.conclusion = conclusion.value
        for report in _reports(session, assessment.id):
            report.assessed_at = now
            if not conclusion.reportable and report.submitted_at is None:
                report.stopped_at = now
                report.stop_reason = rules.CONCLUSION_LABELS[conclusion]
    session.commit()
    return susar_case(session, actor, ae_id, now=now)


def _assessment_public(
    session: Session, a: SusarAssessment, event: AdverseEvent, *, unblinded: bool
) -> AssessmentPublic | AssessmentUnblinded:
    subject = session.get(Subject, a.subject_id)
    assert subject is not None
    state = AssessmentState.complete if a.completed_at else AssessmentState.pending
    fields: dict[str, Any] = {
        "id": a.id,
        "ae_id": a.ae_id,
        "subject": subject.subject_code,
        "site": site_code_of(session, a.site_id),
        "term": event.term,
        "sponsor_aware_at": a.sponsor_aware_at,
        "state": state.value,
        "label": rules.ASSESSMENT_LABELS[state],
        "completed_at": a.completed_at,
        "completed_by": a.completed_by,
    }
    if not unblinded:
        return AssessmentPublic(**fields)
    conclusion = SusarConclusion(a.conclusion) if a.conclusion else None
    return AssessmentUnblinded(
        **fields,
        conclusion=conclusion.value if conclusion else None,
        conclusion_label=rules.CONCLUSION_LABELS[conclusion] if conclusion else None,
    )


def _report_public(r: RegulatoryReport, now: dt.datetime) -> RegulatoryReportPublic:
    kind = ReportKind(r.kind)
    return RegulatoryReportPublic(
        id=r.id,
        ae_id=r.ae_id,
        kind=kind.value,
        label=rules.REPORT_LABELS[kind],
        clock_start_at=r.clock_start_at,
        due_at=r.due_at,
        submitted_at=r.submitted_at,
        submitted_by=r.submitted_by,
        reference=r.reference,
        stopped_at=r.stopped_at,
        stop_reason=r.stop_reason,
        state=rules.clock_state(r.due_at, r.submitted_at, now, r.stopped_at).value,
    )


def susar_case(
    session: Session, actor: Actor, ae_id: int, *, now: dt.datetime | None = None
) -> SusarCasePublic:
    """One suspected SUSAR for the sponsor's safety officer; the arm once it was unblinded."""
    now = now or utcnow()
    actor.require(SAFETY, to="see a suspected SUSAR's assessment")
    event, assessment = _load(session, actor, ae_id)
    pending = assessment.completed_at is None
    knows = not pending and _unblinder(actor, assessment)
    arm = product = None
    if knows:
        subject = session.get(Subject, event.subject_id)
        assert subject is not None
        arm, product = _product(session, subject)
    public = _assessment_public(session, assessment, event, unblinded=knows)
    # Before the unblinding the clocks are the same on every arm; after it, whether they run
    # or stopped tells the arm, so only the officer who unblinded the case sees them.
    reports = _reports(session, assessment.id) if pending or knows else []
    return SusarCasePublic(
        assessment=AssessmentUnblinded(**public.model_dump()),
        event=ae_public(session, event, now),
        reports=[_report_public(r, now) for r in reports],
        arm=arm,
        product=product,
        told=list(rules.ASSESSMENT_TOLD) if pending else [],
    )


def _unblinder(actor: Actor, assessment: SusarAssessment) -> bool:
    """The safety officer who unblinded this case (only this one case is unblinded to them)."""
    return actor.system or assessment.completed_by == actor.audit_name


def list_assessments(
    session: Session, actor: Actor
) -> list[AssessmentPublic | AssessmentUnblinded]:
    """Every suspected SUSAR the sponsor knows of, newest first; the conclusion only for an
    unblinded reader (the DSMB), never for the site or the sponsor's blinded staff."""
    scope = visible_sites(actor)
    stmt = (
        select(SusarAssessment, AdverseEvent)
        .join(AdverseEvent, AdverseEvent.id == SusarAssessment.ae_id)
        .where(SusarAssessment.voided_at.is_(None))
        .order_by(SusarAssessment.sponsor_aware_at.desc(), SusarAssessment.id.desc())
    )
    if scope is not None:
        stmt = stmt.where(SusarAssessment.site_id.in_(scope))
    return [
        _assessment_public(session, a, e, unblinded=not actor.is_blinded)
        for a, e in session.execute(stmt)
    ]


def file_regulatory_report(
    session: Session,
    actor: Actor,
    report_id: int,
    *,
    submitted_at: dt.datetime | None = None,
    reference: str | None = None,
    now: dt.datetime | None = None,
) -> RegulatoryReportPublic:
    """Record that a SUSAR's report reached the regulators (the safety officer, once the case
    is assessed a SUSAR)."""
    now = now or utcnow()
    actor.require(SAFETY, to="file a SUSAR's report to the regulators")
    report = session.get(RegulatoryReport, report_id)
    if report is None or report.voided_at is not None:
        raise NotFound(f"report: no report to the regulators {report_id}", field="report")
    assessment = session.get(SusarAssessment, report.assessment_id)
    assert assessment is not None
    if assessment.completed_at is None:
        raise RuleViolation(
            "report: unblind and assess the case first; only a SUSAR is reported", field="report"
        )
    if not _unblinder(actor, assessment):
        raise PermissionDenied(
            f"only {assessment.completed_by}, who unblinded this case, files its reports",
            field="report",
        )
    if report.stopped_at is not None or report.submitted_at is not None:
        state = "stopped" if report.stopped_at else "submitted"
        raise Conflict(f"report: {report_id} is already {state}", field="report")
    at = submitted_at or now
    if at.tzinfo is None or at > now + dt.timedelta(minutes=5) or at < report.clock_start_at:
        raise InvalidInput(
            "submitted_at: give a time with its zone, after day 0 and not in the future",
            field="submitted_at",
        )
    audit.attach(session, actor)
    kind = ReportKind(report.kind)
    with audit.because(session, f"{rules.REPORT_LABELS[kind]} filed", action="submit"):
        report.submitted_at = at.astimezone(dt.UTC)
        report.submitted_by = actor.audit_name
        report.reference = (reference or "").strip()[:100] or None
    session.commit()
    return _report_public(report, now)
