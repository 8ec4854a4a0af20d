"""The visit a form belongs to: which scheduled visit, on what date, inside its window or not.

The checks ``service`` runs before a form is stored against a visit; no writes here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from msctrial.clinical.subjects.access import end_of_local_day, protocol_of, subject_local_date
from msctrial.clinical.subjects.tables import Subject
from msctrial.clinical.visits.edit_checks import Finding
from msctrial.clinical.visits.tables import VisitRecord
from msctrial.clinical.visits.windows import find_visit, visit_by_key, windows
from msctrial.core.errors import Conflict, InvalidInput, NotFound
from msctrial.protocol.model import Visit


def scheduled_visit(session: Session, subject: Subject, visit_name: str) -> Visit:
    protocol = protocol_of(session, subject)
    visit = find_visit(protocol.visits, visit_name)
    if visit is None:
        visit = visit_by_key(protocol.visits, visit_name)
    if visit is None:
        names = ", ".join(v.name for v in protocol.visits) or "none"
        raise NotFound(
            f"visit: {visit_name!r} is not a visit of the protocol ({names})", field="visit"
        )
    return visit


def visit_moment(
    visit_date: dt.date | None,
    collected_at: dt.datetime | None,
    today: dt.date,
    session: Session,
    subject: Subject,
    now: dt.datetime,
) -> tuple[dt.date, dt.datetime]:
    """The visit date and the moment the consent must precede."""
    if collected_at is not None:
        if collected_at.tzinfo is None:
            raise InvalidInput(
                "collected_at: give the time zone, e.g. 2026-03-02T09:30+08:00",
                field="collected_at",
            )
        if collected_at > now + dt.timedelta(minutes=5):
            raise InvalidInput(
                "collected_at: the sample cannot be taken in the future", field="collected_at"
            )
    day = visit_date or (
        subject_local_date(session, subject, collected_at) if collected_at else today
    )
    if day > today:
        raise InvalidInput(f"visit_date: {day} is in the future", field="visit_date")
    at = collected_at or min(end_of_local_day(session, subject, day), now)
    return day, at


def record_stmt(subject_id: int, visit_name: str) -> Any:
    return select(VisitRecord).where(
        VisitRecord.subject_id == subject_id, VisitRecord.visit_name == visit_name
    )


def window_findings(subject: Subject, visit: Visit, visit_date: dt.date) -> list[Finding]:
    """A visit outside its window is recorded, and queried as a possible protocol deviation."""
    if subject.day0_date is None:
        return []
    window = windows([visit], subject.day0_date)[0]
    if window.contains(visit_date):
        return []
    return [
        Finding(
            "visit_date",
            f"{visit.name} on {visit_date} is outside its window {window.earliest} to "
            f"{window.latest} (day {visit.day} ± {visit.window_days}); confirm the date or "
            "explain the deviation",
        )
    ]


def check_record(record: VisitRecord, visit: Visit, visit_date: dt.date) -> None:
    """A visit declared not done, or dated otherwise, takes no more forms for that date."""
    if record.not_done_reason:
        raise Conflict(
            f"visit: {visit.name} was declared not done ({record.not_done_reason}); change its "
            "date with a reason to reopen it",
            field="visit",
        )
    if record.visit_date != visit_date:
        raise InvalidInput(
            f"visit_date: {visit.name} took place on {record.visit_date}; enter its forms with "
            "that date, or change the visit date with a reason",
            field="visit_date",
        )
