"""Visit use cases: enter a form, correct it with a reason, void it, date or skip a visit.

Each function takes ``(session, actor, ...)``, checks the role and the subject's site (a
subject of another site is NotFound, as in ``subjects.access.get_subject``), applies the edit checks
(``edit_checks``), writes through the ORM so the audit trail records every value, and
commits once. Soft-range findings become queries to the site (``data_queries.service``) in the same
transaction. Nothing is entered before the subject's informed consent
(``subjects.consent.require_consent``); a change after entry needs a reason.

- ``enter_form(session, actor, subject_code, visit_name, form, values, visit_date=...)``
- ``change_form(session, actor, entry_id, values, reason)``: give only the items that change;
  ``None`` clears an optional item.
- ``void_form(session, actor, entry_id, reason)``, ``mark_visit_not_done(...)``,
  ``change_visit_date(...)``
Reading is in ``entries`` (one entry) and ``casebook`` (schedules, overdue lists).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from msctrial.clinical.data_queries import service as query_service
from msctrial.clinical.subjects.access import (
    SITE_STAFF,
    air_of,
    get_subject,
    local_today,
    require_open_subject,
)
from msctrial.clinical.subjects.consent import require_consent
from msctrial.clinical.visits.edit_checks import check_form
from msctrial.clinical.visits.entries import (
    apply_value,
    as_input,
    entry_public,
    has_live_entries,
    live_entry,
    load_entry,
    stored_rows,
    value_rows,
    visit_pf,
)
from msctrial.clinical.visits.forms import get_form
from msctrial.clinical.visits.schemas import EntryPublic
from msctrial.clinical.visits.tables import FormEntry, VisitRecord
from msctrial.clinical.visits.visit_record import (
    check_record,
    record_stmt,
    scheduled_visit,
    visit_moment,
    window_findings,
)
from msctrial.core import audit
from msctrial.core.actors import Actor
from msctrial.core.db import utcnow
from msctrial.core.errors import Conflict, InvalidInput, NotFound


def enter_form(
    session: Session,
    actor: Actor,
    subject_code: str,
    visit_name: str,
    form_name: str,
    values: Mapping[str, Any],
    *,
    visit_date: dt.date | None = None,
    collected_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> EntryPublic:
    """Enter one form of one visit; unusual values are stored and queried, implausible refused.

    Everything is read and checked first, then the visit record (on its first form), the entry,
    its values and any queries are written in one flush, so the audit trail's lock is held only
    for the writing. Two forms of a new visit saved at the same moment collide on the visit's
    unique key; the loser is tried once more and finds the visit the winner created.
    """
    for attempt in (1, 2):
        try:
            return _enter(
                session,
                actor,
                subject_code,
                visit_name,
                form_name,
                values,
                visit_date,
                collected_at,
                now,
            )
        except IntegrityError:
            session.rollback()
            if attempt == 2:
                raise Conflict(
                    "form: it was saved by someone else at the same moment; reload the casebook",
                    field="form",
                ) from None
    raise AssertionError("unreachable")


def _enter(
    session: Session,
    actor: Actor,
    subject_code: str,
    visit_name: str,
    form_name: str,
    values: Mapping[str, Any],
    visit_date: dt.date | None,
    collected_at: dt.datetime | None,
    now: dt.datetime | None,
) -> EntryPublic:
    now = now or utcnow()
    subject = get_subject(session, actor, subject_code)
    actor.require(*SITE_STAFF, site_id=subject.site_id, to="enter visit forms")
    visit = scheduled_visit(session, subject, visit_name)
    form = get_form(form_name)
    if form.name not in visit.forms:
        raise InvalidInput(
            f"form: {form.name} is not on the schedule of {visit.name}; its forms are "
            f"{', '.join(visit.forms) or 'none'}",
            field="form",
        )
    require_open_subject(subject, visit)
    today = local_today(session, subject, now)
    visit_date, at = visit_moment(visit_date, collected_at, today, session, subject, now)
    require_consent(session, subject, at)
    air = air_of(session, subject)
    record = session.scalar(record_stmt(subject.id, visit.name))
    created = record is None
    if record is None:
        record = VisitRecord(
            subject_id=subject.id,
            site_id=subject.site_id,
            visit_name=visit.name,
            study_day=visit.day,
            visit_date=visit_date,
            recorded_by=actor.audit_name,
            recorded_at=now,
        )
    else:
        check_record(record, visit, visit_date)
        if live_entry(session, record.id, form.name) is not None:
            raise Conflict(
                f"form: {form.name} of {visit.name} is already entered; change it with a reason",
                field="form",
            )
    pf = visit_pf(session, record) if form.name == "who_scale" and not created else None
    checked = check_form(form, values, today=today, air=air, visit_pf=pf)
    entry = FormEntry(
        visit=record,
        subject_id=subject.id,
        site_id=subject.site_id,
        form=form.name,
        collected_at=collected_at.astimezone(dt.UTC) if collected_at else None,
        entered_by=actor.audit_name,
        entered_at=now,
        rows=value_rows(subject.site_id, checked.values.values()),
    )
    findings = list(checked.findings)
    if created:
        findings += window_findings(subject, visit, visit_date)
    queries = query_service.edit_check_queries(subject, record, entry, findings, now)
    audit.attach(session, actor)
    session.add(entry)
    session.add_all(queries)
    session.flush()
    if form.name == "blood_gas" and not created:
        _rederive_who_scale(session, record, air, today)
    session.commit()
    return entry_public(session, entry, subject, record, [q.id for q in queries])


def change_form(
    session: Session,
    actor: Actor,
    entry_id: int,
    values: Mapping[str, Any],
    reason: str | None,
    *,
    now: dt.datetime | None = None,
) -> EntryPublic:
    """Correct items of an entered form; the reason goes on every changed value's audit entry."""
    now = now or utcnow()
    reason = audit.require_reason(reason, "change an entered form")
    entry, subject, record = load_entry(session, actor, entry_id)
    actor.require(*SITE_STAFF, site_id=subject.site_id, to="change visit forms")
    if entry.voided_at is not None:
        raise Conflict("entry: a voided form cannot be changed; enter it again", field="entry")
    if not values:
        raise InvalidInput("values: give at least one item to change", field="values")
    form = get_form(entry.form)
    stored = stored_rows(session, entry.id)
    merged: dict[str, Any] = {k: as_input(r) for k, r in stored.items() if not r.derived}
    merged = {k: v for k, v in merged.items() if v is not None}
    for key, value in values.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    today = local_today(session, subject, now)
    checked = check_form(
        form, merged, today=today, air=air_of(session, subject), visit_pf=visit_pf(session, record)
    )
    audit.attach(session, actor)
    changed: list[str] = []
    with audit.because(session, reason, action="correct"):
        for name, row in stored.items():
            new = checked.values.get(name)
            if apply_value(row, new):
                changed.append(name)
        for name, new in checked.values.items():
            if name not in stored:
                entry.rows.append(value_rows(entry.site_id, [new])[0])
                changed.append(name)
        if not changed:
            raise InvalidInput("values: nothing changed", field="values")
        entry.version += 1
    raised = query_service.after_correction(
        session, actor, subject, record, entry, changed, checked.findings, reason, now
    )
    if entry.form == "blood_gas":
        _rederive_who_scale(session, record, air_of(session, subject), today)
    session.commit()
    return entry_public(session, entry, subject, record, raised)


def void_form(session: Session, actor: Actor, entry_id: int, reason: str | None) -> EntryPublic:
    """Void an entry entered in error (it stays readable); the form can then be entered again."""
    reason = audit.require_reason(reason, "void an entered form")
    entry, subject, record = load_entry(session, actor, entry_id)
    actor.require(*SITE_STAFF, site_id=subject.site_id, to="void visit forms")
    if entry.voided_at is not None:
        raise Conflict("entry: this form is already voided", field="entry")
    audit.attach(session, actor)
    with audit.because(session, reason, action="void"):
        entry.voided_at = utcnow()
        entry.void_reason = reason
    query_service.close_for_voided_entry(session, actor, entry, reason)
    session.commit()
    return entry_public(session, entry, subject, record)


def mark_visit_not_done(
    session: Session, actor: Actor, subject_code: str, visit_name: str, reason: str | None
) -> None:
    """Declare a visit missed (patient unreachable, too ill, ...): it leaves the overdue list."""
    reason = audit.require_reason(reason, "declare a visit not done")
    subject = get_subject(session, actor, subject_code)
    actor.require(*SITE_STAFF, site_id=subject.site_id, to="declare visits not done")
    visit = scheduled_visit(session, subject, visit_name)
    audit.attach(session, actor)
    record = session.scalar(record_stmt(subject.id, visit.name).with_for_update())
    if record is not None and has_live_entries(session, record.id):
        raise Conflict(
            f"visit: {visit.name} has entered forms; void them first if the visit did not happen",
            field="visit",
        )
    if record is None:
        record = VisitRecord(
            subject_id=subject.id,
            site_id=subject.site_id,
            visit_name=visit.name,
            study_day=visit.day,
            not_done_reason=reason,
            recorded_by=actor.audit_name,
        )
        session.add(record)
    else:
        with audit.because(session, reason, action="not_done"):
            record.not_done_reason = reason
            record.visit_date = None
    session.commit()


def change_visit_date(
    session: Session,
    actor: Actor,
    subject_code: str,
    visit_name: str,
    visit_date: dt.date,
    reason: str | None,
) -> None:
    reason = audit.require_reason(reason, "change a visit date")
    subject = get_subject(session, actor, subject_code)
    actor.require(*SITE_STAFF, site_id=subject.site_id, to="change visit dates")
    visit = scheduled_visit(session, subject, visit_name)
    record = session.scalar(record_stmt(subject.id, visit.name))
    if record is None:
        raise NotFound(f"visit: {visit.name} has not been recorded yet", field="visit")
    today = local_today(session, subject, utcnow())
    if visit_date > today:
        raise InvalidInput(f"visit_date: {visit_date} is in the future", field="visit_date")
    audit.attach(session, actor)
    with audit.because(session, reason, action="correct"):
        record.visit_date = visit_date
        record.not_done_reason = None
    session.commit()


def _rederive_who_scale(session: Session, record: VisitRecord, air: Any, today: dt.date) -> None:
    """A new or corrected blood gas changes the WHO score of a ventilated patient's visit."""
    entry = live_entry(session, record.id, "who_scale")
    if entry is None:
        return
    rows = stored_rows(session, entry.id)
    raw = {k: as_input(r) for k, r in rows.items() if not r.derived and as_input(r) is not None}
    try:
        checked = check_form(
            get_form("who_scale"), raw, today=today, air=air, visit_pf=visit_pf(session, record)
        )
    except InvalidInput:
        return  # the stored score stands until the site corrects the form
    with audit.because(
        session, "WHO scale re-derived from this visit's blood gas", action="derive"
    ):
        apply_value(rows["who_score"], checked.values.get("who_score"))
