"""Adverse-event use cases: report, correct, void; the post-infusion check; SAE report clocks.

- ``report_ae(session, actor, subject_code, data)``: site staff report an event
  (``rules.AdverseEventInput``). A serious one starts the clock of the report to the
  sponsor (24 h after the investigator's awareness); a fatal one ends the subject's follow-up.
- ``update_ae(..., reason)``: a correction; becoming serious starts the sponsor clock, ceasing
  to be serious voids the reports not yet sent.
- ``submit_report(session, actor, report_id)``: the investigator files the sponsor report. The
  sponsor's knowledge of a suspected SUSAR (the filed sponsor report, or a later change that
  makes the event one) opens the sponsor's assessment and is day 0 of the 7- or 15-day clocks
  to the regulators (CLINICAL_FACTS §6.2, ICH E2A); ``susar`` holds that assessment.
- ``record_reaction_check(session, actor, infusion_id, answers)``: after every infusion the four
  expected reactions are asked about; each "yes" becomes an adverse event linked to the infusion.
- ``list_sae_reports``: due and overdue reports, for the investigator (their site) and monitors.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from msctrial.clinical.dosing.tables import Infusion
from msctrial.clinical.safety import rules, susar
from msctrial.clinical.safety.rules import AdverseEventInput, ReportKind, parse_ae
from msctrial.clinical.safety.schemas import AdverseEventPublic, SaeReportPublic
from msctrial.clinical.safety.tables import AdverseEvent, InfusionReactionCheck, SaeReport
from msctrial.clinical.safety.views import (
    ReactionCheckInput,
    ae_public,
    parse_reaction_check,
    report_public,
)
from msctrial.clinical.subjects.access import (
    SITE_STAFF,
    end_of_local_day,
    get_subject,
    local_today,
    subject_local_date,
)
from msctrial.clinical.subjects.consent import require_consent
from msctrial.clinical.subjects.exit import record_exit_in_session
from msctrial.clinical.subjects.tables import Subject
from msctrial.core import audit
from msctrial.core.actors import Actor
from msctrial.core.db import utcnow
from msctrial.core.errors import Conflict, InvalidInput, NotFound


def _check_dates(
    session: Session, subject: Subject, ae: AdverseEventInput, now: dt.datetime
) -> dt.datetime:
    today = local_today(session, subject, now)
    for name, day in (("onset_date", ae.onset_date), ("end_date", ae.end_date)):
        if day is not None and day > today:
            raise InvalidInput(f"{name}: {day} is in the future", field=name)
    aware = ae.awareness_at or now
    if aware > now + dt.timedelta(minutes=5):
        raise InvalidInput("awareness_at: is in the future", field="awareness_at")
    # An event that began before consent is medical history, not an adverse event.
    require_consent(session, subject, end_of_local_day(session, subject, ae.onset_date))
    return aware.astimezone(dt.UTC)


def _columns(ae: AdverseEventInput) -> dict[str, Any]:
    return {
        "term": ae.term,
        "description": ae.description,
        "onset_date": ae.onset_date,
        "end_date": ae.end_date,
        "grade": ae.grade,
        "serious": ae.serious,
        "seriousness": [s.value for s in ae.seriousness],
        "relationship_product": ae.relationship_product.value,
        "relationship_infusion": ae.relationship_infusion.value,
        "expectedness": ae.expectedness.value,
        "susar": ae.susar,
        "action_taken": ae.action_taken.value,
        "outcome": ae.outcome.value,
    }


def _add_event(
    session: Session,
    actor: Actor,
    subject: Subject,
    ae: AdverseEventInput,
    aware: dt.datetime,
    now: dt.datetime,
    *,
    infusion_id: int | None = None,
    expected_reaction: str | None = None,
) -> AdverseEvent:
    last = session.scalar(
        select(func.max(AdverseEvent.number)).where(AdverseEvent.subject_id == subject.id)
    )
    event = AdverseEvent(
        subject_id=subject.id,
        site_id=subject.site_id,
        number=(last or 0) + 1,
        infusion_id=infusion_id,
        expected_reaction=expected_reaction,
        awareness_at=aware,
        reported_by=actor.audit_name,
        reported_at=now,
        **_columns(ae),
    )
    session.add(event)
    session.flush()
    if event.serious:
        _open_report(
            session, event, ReportKind.sponsor_initial, aware, rules.sponsor_deadline(aware)
        )
    if ae.outcome is rules.Outcome.fatal and ae.end_date is not None:
        record_exit_in_session(
            session, actor, subject, "died", ae.end_date, f"fatal adverse event: {ae.term}"
        )
    return event


def report_ae(
    session: Session,
    actor: Actor,
    subject_code: str,
    data: AdverseEventInput | Mapping[str, Any],
    *,
    infusion_id: int | None = None,
    now: dt.datetime | None = None,
) -> AdverseEventPublic:
    """Record an adverse event of a consented subject at the actor's site."""
    now = now or utcnow()
    ae = parse_ae(data)
    subject = get_subject(session, actor, subject_code, for_update=True)
    actor.require(*SITE_STAFF, site_id=subject.site_id, to="report adverse events")
    aware = _check_dates(session, subject, ae, now)
    if infusion_id is not None:
        _infusion(session, subject, infusion_id)
    audit.attach(session, actor)
    event = _add_event(session, actor, subject, ae, aware, now, infusion_id=infusion_id)
    session.commit()
    return ae_public(session, event)


def update_ae(
    session: Session,
    actor: Actor,
    ae_id: int,
    data: AdverseEventInput | Mapping[str, Any],
    reason: str | None,
    *,
    now: dt.datetime | None = None,
) -> AdverseEventPublic:
    """Correct or complete an event (end date, outcome, causality...) with a reason."""
    now = now or utcnow()
    reason = audit.require_reason(reason, "change an adverse event")
    ae = parse_ae(data)
    event, subject = _load(session, actor, ae_id)
    actor.require(*SITE_STAFF, site_id=subject.site_id, to="change adverse events")
    if event.voided_at is not None:
        raise Conflict("adverse event: a voided event cannot be changed", field="ae")
    _check_dates(session, subject, ae.model_copy(update={"awareness_at": event.awareness_at}), now)
    was_serious, was_susar = event.serious, event.susar
    audit.attach(session, actor)
    with audit.because(session, reason, action="correct"):
        for key, value in _columns(ae).items():
            if getattr(event, key) != value:
                setattr(event, key, value)
    _follow_clocks(session, event, was_serious, was_susar, reason, now)
    if ae.outcome is rules.Outcome.fatal and ae.end_date is not None:
        record_exit_in_session(
            session, actor, subject, "died", ae.end_date, f"fatal adverse event: {ae.term}"
        )
    session.commit()
    return ae_public(session, event)


def void_ae(session: Session, actor: Actor, ae_id: int, reason: str | None) -> AdverseEventPublic:
    """Void an event entered in error (a duplicate, the wrong subject); its reports go too."""
    reason = audit.require_reason(reason, "void an adverse event")
    event, subject = _load(session, actor, ae_id)
    actor.require(*SITE_STAFF, site_id=subject.site_id, to="void adverse events")
    if event.voided_at is not None:
        raise Conflict("adverse event: already voided", field="ae")
    audit.attach(session, actor)
    with audit.because(session, reason, action="void"):
        event.voided_at, event.void_reason = utcnow(), reason
        for report in _reports(session, event.id):
            if report.submitted_at is None:
                report.voided_at, report.void_reason = utcnow(), reason
    susar.withdraw(session, event, reason, utcnow())
    session.commit()
    return ae_public(session, event)


def submit_report(
    session: Session,
    actor: Actor,
    report_id: int,
    *,
    submitted_at: dt.datetime | None = None,
    reference: str | None = None,
    now: dt.datetime | None = None,
) -> SaeReportPublic:
    """Record that an expedited report was sent; the sponsor report starts any SUSAR clock."""
    now = now or utcnow()
    from msctrial.clinical.safety.views import load_report

    report, event = load_report(session, actor, report_id)
    kind = ReportKind(report.kind)
    actor.require(
        *rules.REPORT_FILERS[kind],
        site_id=report.site_id,
        to=f"file the {rules.REPORT_LABELS[kind]}",
    )
    if report.voided_at is not None or report.submitted_at is not None:
        raise Conflict(
            f"report: {report_id} is already {'voided' if report.voided_at else 'submitted'}",
            field="report",
        )
    at = submitted_at or now
    if at.tzinfo is None or at > now + dt.timedelta(minutes=5) or at < report.clock_start_at:
        raise InvalidInput(
            "submitted_at: give a time with its zone, after the clock started and not in the future",
            field="submitted_at",
        )
    audit.attach(session, actor)
    with audit.because(session, f"{rules.REPORT_LABELS[kind]} filed", action="submit"):
        report.submitted_at = at.astimezone(dt.UTC)
        report.submitted_by = actor.audit_name
        report.reference = (reference or "").strip()[:100] or None
    if kind is ReportKind.sponsor_initial and event.susar:
        # The sponsor now knows of a suspected SUSAR: day 0 of its assessment and clocks.
        susar.follow_suspicion(session, event, report.submitted_at)
    session.commit()
    return report_public(session, report, event, now)


def record_reaction_check(
    session: Session,
    actor: Actor,
    infusion_id: int,
    answers: Mapping[str, Any] | ReactionCheckInput,
    *,
    now: dt.datetime | None = None,
) -> list[AdverseEventPublic]:
    """Ask about fever, chills, allergic reaction and local inflammation after an infusion."""
    now = now or utcnow()
    check = parse_reaction_check(answers)
    infusion, subject = infusion_to_check(session, actor, infusion_id)
    checked_at = (check.checked_at or now).astimezone(dt.UTC)
    if checked_at < infusion.started_at or checked_at > now + dt.timedelta(minutes=5):
        raise InvalidInput(
            "checked_at: must lie between the infusion's start and now", field="checked_at"
        )
    if session.scalar(
        select(InfusionReactionCheck.id).where(InfusionReactionCheck.infusion_id == infusion.id)
    ):
        raise Conflict("infusion: its reaction check is already recorded", field="infusion")
    audit.attach(session, actor)
    session.add(
        InfusionReactionCheck(
            infusion_id=infusion.id,
            subject_id=subject.id,
            site_id=subject.site_id,
            checked_at=checked_at,
            checked_by=actor.audit_name,
            max_temperature_c=check.max_temperature_c,
            notes=check.notes,
            **{k: k in check.present for k in rules.REACTION_KEYS},
        )
    )
    onset = subject_local_date(session, subject, infusion.started_at)
    events = []
    for key, ae in check.events(onset):
        events.append(
            _add_event(
                session,
                actor,
                subject,
                ae,
                checked_at,
                now,
                infusion_id=infusion.id,
                expected_reaction=key,
            )
        )
    session.commit()
    return [ae_public(session, e) for e in events]


def infusion_to_check(session: Session, actor: Actor, infusion_id: int) -> tuple[Infusion, Subject]:
    """The infusion whose expected reactions the actor (site staff of its site) may record."""
    infusion = session.get(Infusion, infusion_id)
    scope = _scope(actor)
    if (
        infusion is None
        or infusion.voided_at is not None
        or (scope is not None and infusion.site_id not in scope)
    ):
        raise NotFound(f"infusion: no infusion {infusion_id}", field="infusion")
    subject = session.get(Subject, infusion.subject_id)
    assert subject is not None
    actor.require(*SITE_STAFF, site_id=subject.site_id, to="record the post-infusion check")
    return infusion, subject


def _open_report(
    session: Session, event: AdverseEvent, kind: ReportKind, start: dt.datetime, due: dt.datetime
) -> None:
    session.add(
        SaeReport(
            ae_id=event.id,
            subject_id=event.subject_id,
            site_id=event.site_id,
            kind=kind.value,
            clock_start_at=start,
            due_at=due,
        )
    )


def _reports(session: Session, ae_id: int) -> list[SaeReport]:
    return list(
        session.scalars(
            select(SaeReport).where(SaeReport.ae_id == ae_id, SaeReport.voided_at.is_(None))
        )
    )


def _follow_clocks(
    session: Session,
    event: AdverseEvent,
    was_serious: bool,
    was_susar: bool,
    reason: str,
    now: dt.datetime,
) -> None:
    """Start, keep or stop report clocks after a change of seriousness or SUSAR status.

    A change that makes a known SAE a suspected SUSAR is the sponsor's first knowledge of it
    (day 0); an assessment already open keeps its day 0.
    """
    reports = _reports(session, event.id)
    sponsor = next((r for r in reports if r.kind == ReportKind.sponsor_initial), None)
    if event.serious and sponsor is None:
        _open_report(session, event, ReportKind.sponsor_initial, now, rules.sponsor_deadline(now))
    with audit.because(session, reason, action="void"):
        if event.susar and sponsor is not None and sponsor.submitted_at is not None:
            susar.follow_suspicion(session, event, sponsor.submitted_at if was_susar else now)
        for r in reports:
            if not event.serious and r.submitted_at is None:
                r.voided_at, r.void_reason = now, reason
    if not event.susar:
        susar.withdraw(session, event, reason, now)


def _scope(actor: Actor) -> frozenset[int] | None:
    from msctrial.clinical.subjects.access import visible_sites

    return visible_sites(actor)


def _infusion(session: Session, subject: Subject, infusion_id: int) -> Infusion:
    infusion = session.get(Infusion, infusion_id)
    if infusion is None or infusion.subject_id != subject.id or infusion.voided_at is not None:
        raise NotFound(
            f"infusion_id: {subject.subject_code} has no infusion {infusion_id}",
            field="infusion_id",
        )
    return infusion


def _load(session: Session, actor: Actor, ae_id: int) -> tuple[AdverseEvent, Subject]:
    scope = _scope(actor)
    event = session.get(AdverseEvent, ae_id)
    if event is None or (scope is not None and event.site_id not in scope):
        raise NotFound(f"adverse event: no adverse event {ae_id}", field="ae")
    subject = session.get(Subject, event.subject_id)
    assert subject is not None
    return event, subject
