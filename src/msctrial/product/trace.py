"""Trace and recall: where a lot's units went, which lots a subject received.

Tying a subject to a lot ties them to cells or placebo, so naming subjects is an unblinding
operation, open only to the unblinded roles: the DSMB trial-wide and a pharmacist at their own
sites. QC is blinded, yet must trace a recalled lot: QC traces lots to units and units to
pseudonymous dispensation records (``D000042``: site, administration number, dates), never to
subjects, unless the same user also holds an unblinded role at that site. The pharmacist reads
the same reference beside the subject's code. A recall opens one follow-up record per recipient
subject; QC sees how many are open, the pharmacist (who arranges the visit) sees whom and
closes them, and a blinded investigator is never told which lot a patient received.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from msctrial.core import audit
from msctrial.core.actors import Actor
from msctrial.core.errors import Conflict, InvalidInput, NotFound
from msctrial.core.tables import Site
from msctrial.product import views
from msctrial.product.schemas import (
    FollowUpPublic,
    LotResults,
    LotTrace,
    ReceivedUnit,
    Recipient,
    SubjectTrace,
)
from msctrial.product.specification import Level
from msctrial.product.tables import Lot, RecallFollowUp, Unit, UnitIssue

TRACERS = ("qc", "dsmb", "pharmacist")
# The tracers who may see which subject received a unit: the unblinded roles.
UNBLINDED_TRACERS = ("dsmb", "pharmacist")
# Who closes a recall follow-up: the pharmacist arranges the visit (the DSMB reads them).
FOLLOW_UP_CLOSERS = ("pharmacist",)


def _scope(actor: Actor, what: str, roles: tuple[str, ...] = TRACERS) -> frozenset[int] | None:
    actor.require(*roles, to=f"{what} (it reveals the allocation)")
    return actor.site_scope(*roles)


def _names_subjects_at(actor: Actor) -> frozenset[int] | None:
    """Site ids where the actor may see a recipient's subject code (None: every site)."""
    if not actor.has_role(*UNBLINDED_TRACERS):
        return frozenset()
    return actor.site_scope(*UNBLINDED_TRACERS)


def _named(site_id: int, named_at: frozenset[int] | None) -> bool:
    return named_at is None or site_id in named_at


def dispensation_ref(issue_id: int) -> str:
    """The pseudonymous reference of one dispensation, shown to QC instead of the subject."""
    return f"D{issue_id:06d}"


def _lot(session: Session, code: str) -> Lot:
    lot = session.scalar(select(Lot).where(Lot.code == code))
    if lot is None:
        raise NotFound(f"lot: no lot {code!r}", field="lot")
    return lot


def _recipients(
    session: Session, lot: Lot, scope: frozenset[int] | None, named_at: frozenset[int] | None
) -> list[Recipient]:
    stmt = (
        select(UnitIssue, Site.code)
        .join(Unit, Unit.code == UnitIssue.unit_code)
        .join(Site, Site.id == UnitIssue.site_id)
        .where(Unit.lot_id == lot.id, UnitIssue.voided_at.is_(None))
        .order_by(UnitIssue.subject_code, UnitIssue.administration_no, UnitIssue.unit_code)
    )
    if scope is not None:
        stmt = stmt.where(UnitIssue.site_id.in_(scope))
    return [
        Recipient(
            dispensation=dispensation_ref(i.id),
            subject_code=i.subject_code if _named(i.site_id, named_at) else None,
            site_code=site_code,
            administration_no=i.administration_no,
            unit_code=i.unit_code,
            issued_at=i.issued_at,
            issued_by=i.issued_by,
            used_at=i.used_at,
        )
        for i, site_code in session.execute(stmt)
    ]


def trace_lot(session: Session, actor: Actor, lot_code: str, *, now: dt.datetime) -> LotTrace:
    """Every dispensation of a unit of the lot, naming the subject only to unblinded roles."""
    scope = _scope(actor, "trace a lot")
    lot = _lot(session, lot_code)
    recipients = _recipients(session, lot, scope, _names_subjects_at(actor))
    return LotTrace(lot=views.lot_summary(session, lot, now), recipients=recipients)


def trace_subject(
    session: Session, actor: Actor, subject_code: str, *, now: dt.datetime
) -> SubjectTrace:
    """Every unit and lot a subject received, with each lot's release results (unblinded roles)."""
    scope = _scope(actor, "trace a subject", UNBLINDED_TRACERS)
    if not subject_code or len(subject_code) > 40:
        raise InvalidInput("subject: give the subject's code, e.g. WUH-001", field="subject")
    stmt = (
        select(UnitIssue, Unit)
        .join(Unit, Unit.code == UnitIssue.unit_code)
        .where(UnitIssue.subject_code == subject_code, UnitIssue.voided_at.is_(None))
        .order_by(UnitIssue.administration_no, UnitIssue.unit_code)
    )
    if scope is not None:
        stmt = stmt.where(UnitIssue.site_id.in_(scope))
    rows = list(session.execute(stmt))
    if not rows:
        raise NotFound(
            f"subject: no units were issued to {subject_code!r} (at the sites you may see)",
            field="subject",
        )
    units = [
        ReceivedUnit(
            unit_code=i.unit_code,
            lot_code=u.lot.code,
            administration_no=i.administration_no,
            issued_at=i.issued_at,
            used_at=i.used_at,
        )
        for i, u in rows
    ]
    lots: dict[str, Lot] = {u.lot.code: u.lot for _, u in rows}
    results = []
    for lot in lots.values():
        release = views.judge(
            session, views.inspection_of(session, lot, Level.release), lot, Level.release
        )[1]
        quality = any(o.passed for _, o, _ in views.quality_inspections(session, lot))
        results.append(
            LotResults(
                lot=views.lot_summary(session, lot, now), release=release, quality_passed=quality
            )
        )
    return SubjectTrace(subject_code=subject_code, units=units, lots=results)


def open_follow_ups(session: Session, actor: Actor, lot: Lot, *, now: dt.datetime) -> int:
    """One follow-up per recipient subject of a recalled lot (flushes; the caller commits)."""
    seen: set[str] = set()
    audit.attach(session, actor)
    for r in _recipients(session, lot, None, None):
        assert r.subject_code is not None
        if r.subject_code in seen:
            continue
        seen.add(r.subject_code)
        site_id = session.scalar(select(Site.id).where(Site.code == r.site_code))
        assert site_id is not None
        session.add(
            RecallFollowUp(
                lot_id=lot.id, subject_code=r.subject_code, site_id=site_id, created_at=now
            )
        )
    session.flush()
    return len(seen)


def list_follow_ups(
    session: Session, actor: Actor, *, lot_code: str | None = None, open_only: bool = False
) -> list[FollowUpPublic]:
    scope = _scope(actor, "see recall follow-ups")
    named_at = _names_subjects_at(actor)
    stmt = (
        select(RecallFollowUp, Lot.code, Site.code)
        .join(Lot, Lot.id == RecallFollowUp.lot_id)
        .join(Site, Site.id == RecallFollowUp.site_id)
        .order_by(RecallFollowUp.closed_at.is_not(None), Lot.code, RecallFollowUp.subject_code)
    )
    if lot_code:
        stmt = stmt.where(Lot.code == lot_code)
    if open_only:
        stmt = stmt.where(RecallFollowUp.closed_at.is_(None))
    if scope is not None:
        stmt = stmt.where(RecallFollowUp.site_id.in_(scope))
    return [
        FollowUpPublic(
            id=f.id,
            lot_code=lot,
            subject_code=f.subject_code if _named(f.site_id, named_at) else None,
            site_code=site,
            created_at=f.created_at,
            closed_at=f.closed_at,
            closed_by=f.closed_by,
            note=f.note,
        )
        for f, lot, site in session.execute(stmt)
    ]


def close_follow_up(
    session: Session, actor: Actor, follow_up_id: int, *, note: str, now: dt.datetime
) -> FollowUpPublic:
    """Close a recall follow-up with what was done (a note is required)."""
    note = audit.require_reason(note, "close a recall follow-up")
    scope = _scope(actor, "close recall follow-ups", FOLLOW_UP_CLOSERS)
    row = session.get(RecallFollowUp, follow_up_id)
    if row is None or (scope is not None and row.site_id not in scope):
        raise NotFound(f"follow_up: no follow-up {follow_up_id}", field="follow_up")
    if row.closed_at is not None:
        raise Conflict(f"follow-up {follow_up_id} is already closed", field="follow_up")
    audit.attach(session, actor)
    with audit.because(session, note, action="close"):
        row.closed_at = now
        row.closed_by = actor.audit_name
        row.note = note
    session.commit()
    return next(f for f in list_follow_ups(session, actor) if f.id == follow_up_id)
