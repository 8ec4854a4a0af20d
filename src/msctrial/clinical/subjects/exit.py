"""A subject leaves the trial: death, withdrawal of consent, loss to follow-up, completion.

The exit ends the visit schedule (later visits are *not expected*, not overdue) and sets the
subject's status (``Subject.status``: died, withdrawn or completed) with the reason on the
audit trail. A fatal adverse event records the death itself (``safety.service``). An exit is
recorded once; a correction is a new decision for the investigator, not an overwrite.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from msctrial.clinical.subjects.access import SITE_STAFF, get_subject, local_today
from msctrial.clinical.subjects.model import SubjectStatus
from msctrial.clinical.subjects.tables import StudyExit, Subject
from msctrial.core import audit
from msctrial.core.actors import Actor
from msctrial.core.db import utcnow
from msctrial.core.errors import Conflict, InvalidInput

EXIT_STATUS = {
    "died": SubjectStatus.died,
    "withdrawn": SubjectStatus.withdrawn,
    "lost_to_follow_up": SubjectStatus.withdrawn,
    "completed": SubjectStatus.completed,
}


def record_exit_in_session(
    session: Session, actor: Actor, subject: Subject, kind: str, exit_date: dt.date, reason: str
) -> StudyExit | None:
    """Record the exit unless one is already on file (flushes; the caller commits)."""
    if kind not in EXIT_STATUS:
        raise InvalidInput(f"kind: {kind!r}; allowed: {', '.join(EXIT_STATUS)}", field="kind")
    if session.scalar(select(StudyExit.id).where(StudyExit.subject_id == subject.id)) is not None:
        return None
    audit.attach(session, actor)
    exit_ = StudyExit(
        subject_id=subject.id,
        site_id=subject.site_id,
        kind=kind,
        exit_date=exit_date,
        reason=reason,
        recorded_by=actor.audit_name,
    )
    session.add(exit_)
    session.flush()
    status = EXIT_STATUS[kind].value
    if subject.status != status:
        with audit.because(session, reason, action="exit"):
            subject.status = status
    return exit_


def record_exit(
    session: Session,
    actor: Actor,
    subject_code: str,
    kind: str,
    exit_date: dt.date,
    reason: str | None,
) -> StudyExit:
    """The investigator records that a subject left the trial, and why."""
    reason = audit.require_reason(reason, "record a subject's exit from the trial")
    subject = get_subject(session, actor, subject_code, for_update=True)
    actor.require(*SITE_STAFF, site_id=subject.site_id, to="record exits from the trial")
    if exit_date > local_today(session, subject, utcnow()):
        raise InvalidInput(f"exit_date: {exit_date} is in the future", field="exit_date")
    if subject.day0_date is None and kind != "withdrawn":
        raise InvalidInput(
            "kind: a subject who was never randomised can only withdraw", field="kind"
        )
    exit_ = record_exit_in_session(session, actor, subject, kind, exit_date, reason)
    if exit_ is None:
        raise Conflict(
            f"subject: {subject.subject_code} has already left the trial", field="subject"
        )
    session.commit()
    return exit_


def exit_dates(session: Session, subject_ids: Iterable[int]) -> dict[int, StudyExit]:
    ids = list(subject_ids)
    if not ids:
        return {}
    return {
        e.subject_id: e
        for e in session.scalars(select(StudyExit).where(StudyExit.subject_id.in_(ids)))
    }
