"""Data queries: raised by an edit check or a monitor, answered by the site, closed by a monitor.

The life of a query: *open* (raised) → *answered* (the site explains or corrects the value) →
*closed* by a monitor, or back to *open* when the monitor is not satisfied (``reopen_query``).
Every step is a message in the query's thread with who and when, and an audited change of the
query row, so the timestamps of raising, answering and closing are on record.

Edit checks raise queries in the transaction that stores the unusual value
(``edit_check_queries``); correcting a queried value answers its query with the reason
(``after_correction``), and the monitor still closes it. Site staff see and answer their
site's queries; monitors see all. Functions that end in ``_query`` commit; the helpers called
by the visit service only flush.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from msctrial.clinical.data_queries.schemas import QueryMessagePublic, QueryPublic
from msctrial.clinical.data_queries.tables import DataQuery, QueryMessage
from msctrial.clinical.safety.tables import AdverseEvent
from msctrial.clinical.subjects.access import MONITOR_ROLES, SITE_STAFF, get_subject, visible_sites
from msctrial.clinical.subjects.tables import Subject
from msctrial.clinical.visits.edit_checks import Finding
from msctrial.clinical.visits.tables import FormEntry, VisitRecord
from msctrial.core import audit
from msctrial.core.actors import Actor
from msctrial.core.db import utcnow
from msctrial.core.errors import Conflict, InvalidInput, NotFound
from msctrial.core.tables import Site

STATUSES = ("open", "answered", "closed")


EDIT_CHECK = "edit check"


MAX_TEXT = 4000


def _text(value: str | None, field: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"{field}: write the text", field=field)
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"{field}: at most {MAX_TEXT} characters", field=field)
    return text


def _new(
    *,
    subject_id: int,
    site_id: int,
    origin: str,
    text: str,
    by: str,
    now: dt.datetime,
    visit: VisitRecord | None = None,
    entry: FormEntry | None = None,
    item: str | None = None,
    ae_id: int | None = None,
) -> DataQuery:
    """A new open query with its first message; the caller adds it to the session."""
    return DataQuery(
        subject_id=subject_id,
        site_id=site_id,
        visit=visit,
        entry=entry,
        item=item,
        ae_id=ae_id,
        origin=origin,
        text=text,
        status="open",
        raised_by=by,
        raised_at=now,
        messages=[QueryMessage(site_id=site_id, action="raise", text=text, by=by, at=now)],
    )


def edit_check_queries(
    subject: Subject,
    record: VisitRecord,
    entry: FormEntry,
    findings: Iterable[Finding],
    now: dt.datetime,
) -> list[DataQuery]:
    """One open query per unusual value of an entry, raised by the edit check (not yet added)."""
    return [
        _new(
            subject_id=subject.id,
            site_id=subject.site_id,
            origin="edit_check",
            text=f.message,
            by=EDIT_CHECK,
            now=now,
            visit=record,
            entry=entry,
            item=f.item,
        )
        for f in findings
    ]


def after_correction(
    session: Session,
    actor: Actor,
    subject: Subject,
    record: VisitRecord,
    entry: FormEntry,
    changed: list[str],
    findings: Iterable[Finding],
    reason: str,
    now: dt.datetime,
) -> list[int]:
    """Answer the open queries on corrected items; raise queries for new unusual values."""
    live = list(
        session.scalars(
            select(DataQuery).where(DataQuery.entry_id == entry.id, DataQuery.status != "closed")
        )
    )
    with audit.because(session, reason, action="answer"):
        for q in live:
            if q.status == "open" and q.item in changed:
                _step(
                    session,
                    q,
                    "answered",
                    "answer",
                    f"value corrected: {reason}",
                    actor.audit_name,
                    now,
                )
    queried = {q.item for q in live}
    fresh = [f for f in findings if f.item in changed and f.item not in queried]
    queries = edit_check_queries(subject, record, entry, fresh, now)
    session.add_all(queries)
    session.flush()
    return [q.id for q in queries]


def close_for_voided_entry(session: Session, actor: Actor, entry: FormEntry, reason: str) -> None:
    now = utcnow()
    with audit.because(session, reason, action="close"):
        for q in session.scalars(
            select(DataQuery).where(DataQuery.entry_id == entry.id, DataQuery.status != "closed")
        ):
            _step(session, q, "closed", "close", f"form voided: {reason}", actor.audit_name, now)


def _step(
    session: Session, q: DataQuery, status: str, action: str, text: str, by: str, now: dt.datetime
) -> None:
    q.status = status
    if status == "answered":
        q.answered_by, q.answered_at = by, now
    elif status == "closed":
        q.closed_by, q.closed_at = by, now
    session.add(
        QueryMessage(query_id=q.id, site_id=q.site_id, action=action, text=text, by=by, at=now)
    )


def raise_query(
    session: Session,
    actor: Actor,
    *,
    subject_code: str,
    text: str,
    entry_id: int | None = None,
    item: str | None = None,
    ae_id: int | None = None,
    now: dt.datetime | None = None,
) -> QueryPublic:
    """A monitor asks the site about a subject, a form entry (and item) or an adverse event."""
    actor.require(*MONITOR_ROLES, to="raise queries")
    now = now or utcnow()
    body = _text(text, "text")
    subject = get_subject(session, actor, subject_code)
    visit_id = None
    if entry_id is not None:
        entry = session.get(FormEntry, entry_id)
        if entry is None or entry.subject_id != subject.id:
            raise NotFound(
                f"entry: {subject.subject_code} has no form entry {entry_id}", field="entry_id"
            )
        visit_id = entry.visit_id
        if item is not None:
            from msctrial.clinical.visits.forms import get_form

            if get_form(entry.form).item(item) is None:
                raise InvalidInput(f"item: {item!r} is not an item of {entry.form}", field="item")
    elif item is not None:
        raise InvalidInput("item: name the form entry the item belongs to", field="entry_id")
    if ae_id is not None:
        ae = session.get(AdverseEvent, ae_id)
        if ae is None or ae.subject_id != subject.id:
            raise NotFound(
                f"ae_id: {subject.subject_code} has no adverse event {ae_id}", field="ae_id"
            )
    audit.attach(session, actor)
    q = _new(
        subject_id=subject.id,
        site_id=subject.site_id,
        origin="monitor",
        text=body,
        by=actor.audit_name,
        now=now,
        visit=session.get(VisitRecord, visit_id) if visit_id else None,
        entry=session.get(FormEntry, entry_id) if entry_id else None,
        item=item,
        ae_id=ae_id,
    )
    session.add(q)
    session.commit()
    return get_query(session, actor, q.id)


def answer_query(
    session: Session, actor: Actor, query_id: int, answer: str, *, now: dt.datetime | None = None
) -> QueryPublic:
    """The site answers an open query (explains the value, or says it was corrected)."""
    q = _load(session, actor, query_id)
    actor.require(*SITE_STAFF, site_id=q.site_id, to="answer queries")
    text = _text(answer, "answer")
    if q.status != "open":
        raise Conflict(
            f"query: {query_id} is {q.status}; only an open query can be answered", field="query"
        )
    audit.attach(session, actor)
    with audit.because(session, text, action="answer"):
        _step(session, q, "answered", "answer", text, actor.audit_name, now or utcnow())
    session.commit()
    return get_query(session, actor, q.id)


def close_query(
    session: Session,
    actor: Actor,
    query_id: int,
    note: str | None = None,
    *,
    now: dt.datetime | None = None,
) -> QueryPublic:
    """A monitor accepts the answer and closes the query."""
    actor.require(*MONITOR_ROLES, to="close queries")
    q = _load(session, actor, query_id)
    if q.status != "answered":
        raise Conflict(
            f"query: {query_id} is {q.status}; a query is closed once the site has answered it",
            field="query",
        )
    text = (note or "").strip() or "answer accepted"
    audit.attach(session, actor)
    with audit.because(session, text, action="close"):
        _step(session, q, "closed", "close", text, actor.audit_name, now or utcnow())
    session.commit()
    return get_query(session, actor, q.id)


def reopen_query(
    session: Session, actor: Actor, query_id: int, note: str, *, now: dt.datetime | None = None
) -> QueryPublic:
    """A monitor is not satisfied with the answer: the query is open again, with why."""
    actor.require(*MONITOR_ROLES, to="reopen queries")
    q = _load(session, actor, query_id)
    text = _text(note, "note")
    if q.status != "answered":
        raise Conflict(
            f"query: {query_id} is {q.status}; only an answered query can be reopened",
            field="query",
        )
    audit.attach(session, actor)
    with audit.because(session, text, action="reopen"):
        q.status = "open"
        session.add(
            QueryMessage(
                query_id=q.id,
                site_id=q.site_id,
                action="reopen",
                text=text,
                by=actor.audit_name,
                at=now or utcnow(),
            )
        )
    session.commit()
    return get_query(session, actor, q.id)


def _load(session: Session, actor: Actor, query_id: int) -> DataQuery:
    scope = visible_sites(actor)
    q = session.get(DataQuery, query_id)
    if q is None or (scope is not None and q.site_id not in scope):
        raise NotFound(f"query: no query {query_id}", field="query")
    return q


def _stmt() -> Any:
    return (
        select(DataQuery, Subject.subject_code, Site.code, VisitRecord.visit_name, FormEntry.form)
        .join(Subject, Subject.id == DataQuery.subject_id)
        .join(Site, Site.id == DataQuery.site_id)
        .outerjoin(VisitRecord, VisitRecord.id == DataQuery.visit_id)
        .outerjoin(FormEntry, FormEntry.id == DataQuery.entry_id)
    )


def _public(row: Any, messages: list[QueryMessagePublic] | None = None) -> QueryPublic:
    q, code, site, visit, form = row
    return QueryPublic(
        id=q.id,
        subject=code,
        site=site,
        visit=visit,
        form=form,
        entry_id=q.entry_id,
        item=q.item,
        ae_id=q.ae_id,
        origin=q.origin,
        text=q.text,
        status=q.status,
        raised_by=q.raised_by,
        raised_at=q.raised_at,
        answered_by=q.answered_by,
        answered_at=q.answered_at,
        closed_by=q.closed_by,
        closed_at=q.closed_at,
        messages=messages or [],
    )


def get_query(session: Session, actor: Actor, query_id: int) -> QueryPublic:
    q = _load(session, actor, query_id)
    row = session.execute(_stmt().where(DataQuery.id == q.id)).one()
    messages = [
        QueryMessagePublic(action=m.action, text=m.text, by=m.by, at=m.at)
        for m in session.scalars(
            select(QueryMessage).where(QueryMessage.query_id == q.id).order_by(QueryMessage.id)
        )
    ]
    return _public(row, messages)


def list_queries(
    session: Session,
    actor: Actor,
    *,
    status: str | None = None,
    subject_code: str | None = None,
    site_code: str | None = None,
    limit: int = 500,
) -> list[QueryPublic]:
    """Queries the actor may see, oldest open first."""
    scope = visible_sites(actor)
    stmt = _stmt()
    if status is not None:
        if status not in STATUSES:
            raise InvalidInput(
                f"status: {status!r}; allowed: {', '.join(STATUSES)}", field="status"
            )
        stmt = stmt.where(DataQuery.status == status)
    if subject_code:
        stmt = stmt.where(DataQuery.subject_id == get_subject(session, actor, subject_code).id)
    if site_code:
        stmt = stmt.where(Site.code == site_code.strip().upper())
    if scope is not None:
        stmt = stmt.where(DataQuery.site_id.in_(scope))
    stmt = stmt.order_by(DataQuery.raised_at, DataQuery.id).limit(max(1, min(limit, 5000)))
    return [_public(row) for row in session.execute(stmt)]


def open_counts(session: Session, subject_id: int) -> dict[int | None, int]:
    """Open or answered (not yet closed) queries per form entry of a subject."""
    rows = session.execute(
        select(DataQuery.entry_id, func.count())
        .where(DataQuery.subject_id == subject_id, DataQuery.status != "closed")
        .group_by(DataQuery.entry_id)
    )
    return {entry_id: n for entry_id, n in rows}
