"""Who may see which subject, and what every clinical service reads of a subject's context.

A site user (investigator, coordinator, pharmacist) sees only their sites' subjects; the
trial-wide roles (monitor, statistician, DSMB, admin) see all. A subject of another site is
``NotFound``, exactly like an unknown code, so codes are not disclosed.

A subject's site is held for the session's life; its protocol is the latest version of its
trial's protocol, parsed once per version (the text is immutable, keyed by its SHA-256).
Calendar days are the site's (``core.localtime``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from msctrial.clinical.subjects.model import SubjectStatus, normalise_subject_code
from msctrial.clinical.subjects.severity import Air
from msctrial.clinical.subjects.tables import Subject
from msctrial.core.actors import Actor
from msctrial.core.db import utcnow
from msctrial.core.errors import InvalidInput, NotFound, PermissionDenied, RuleViolation
from msctrial.core.localtime import end_of_day, site_local_date
from msctrial.core.tables import Site
from msctrial.protocol.loader import load_protocol_text
from msctrial.protocol.model import Protocol, Visit
from msctrial.protocol.service import StoredProtocol, get_protocol, only_trial
from msctrial.protocol.tables import ProtocolVersion, Trial

# Who reads subjects: site staff at their sites, the trial-wide roles everywhere.
READERS = (
    "investigator",
    "coordinator",
    "pharmacist",
    "monitor",
    "statistician",
    "dsmb",
    "admin",
    "safety",
)


# Who screens and consents patients (DESIGN.md "Who uses it").
SITE_STAFF = ("investigator", "coordinator")


# A clock skew allowance: an observation "in the future" by more than this is an entry error.
FUTURE_SLACK = dt.timedelta(minutes=5)


def trial_for(session: Session, trial_code: str | None) -> Trial:
    if trial_code:
        from msctrial.protocol.service import get_trial

        return get_trial(session, trial_code)
    return only_trial(session)


def protocol_for(session: Session, subject: Subject) -> StoredProtocol:
    trial = session.get(Trial, subject.trial_id)
    assert trial is not None
    return get_protocol(session, trial.code)


def visible_sites(actor: Actor) -> frozenset[int] | None:
    """Site ids whose subjects the actor may see; None means every site."""
    if not actor.has_role(*READERS):
        raise PermissionDenied("you have no role that may see trial subjects")
    return actor.site_scope(*READERS)


def get_subject(
    session: Session,
    actor: Actor,
    subject_code_text: str,
    *,
    trial_code: str | None = None,
    for_update: bool = False,
) -> Subject:
    """One subject by code; NotFound when unknown, voided or at a site the actor cannot see."""
    scope = visible_sites(actor)
    code = normalise_subject_code(subject_code_text)
    missing = NotFound(f"subject: no subject {subject_code_text!r}", field="subject")
    if code is None:
        raise missing
    stmt = select(Subject).where(Subject.subject_code == code, Subject.voided_at.is_(None))
    if trial_code:
        stmt = stmt.join(Trial, Trial.id == Subject.trial_id).where(Trial.code == trial_code)
    if scope is not None:
        stmt = stmt.where(Subject.site_id.in_(scope))
    if for_update:
        stmt = stmt.with_for_update()
    subjects = list(session.scalars(stmt.limit(2)))
    if len(subjects) != 1:
        if len(subjects) > 1:
            raise InvalidInput(
                "trial: several trials have this subject code; name the trial", field="trial"
            )
        raise missing
    return subjects[0]


def list_subjects(
    session: Session,
    actor: Actor,
    *,
    trial_code: str | None = None,
    site_code: str | None = None,
    status: str | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[Subject]:
    """Subjects the actor may see, by site and code; filter by site code and status, and take
    ``limit`` of them from ``offset`` (a page of a long list)."""
    stmt = _subjects_stmt(session, actor, trial_code, site_code, status)
    stmt = stmt.order_by(Subject.site_id, Subject.sequence).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def count_subjects(
    session: Session,
    actor: Actor,
    *,
    trial_code: str | None = None,
    site_code: str | None = None,
    status: str | None = None,
) -> int:
    """How many subjects ``list_subjects`` would list with the same filters and no limit."""
    stmt = _subjects_stmt(session, actor, trial_code, site_code, status)
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def _subjects_stmt(
    session: Session,
    actor: Actor,
    trial_code: str | None,
    site_code: str | None,
    status: str | None,
) -> Select[Subject]:
    scope = visible_sites(actor)
    stmt = select(Subject).where(Subject.voided_at.is_(None))
    if trial_code:
        stmt = stmt.join(Trial, Trial.id == Subject.trial_id).where(Trial.code == trial_code)
    if scope is not None:
        stmt = stmt.where(Subject.site_id.in_(scope))
    if site_code:
        site = session.scalar(select(Site).where(Site.code == site_code.strip().upper()))
        if site is None:
            raise NotFound(f"site: unknown site code {site_code!r}", field="site")
        stmt = stmt.where(Subject.site_id == site.id)
    if status:
        if status not in SubjectStatus.__members__:
            raise InvalidInput(
                f"status: {status!r} is not a status; allowed: {', '.join(SubjectStatus)}",
                field="status",
            )
        stmt = stmt.where(Subject.status == status)
    return stmt


def site_of(session: Session, subject: Subject) -> Site:
    """The subject's site."""
    return site_by_id(session, subject.site_id)


def check_time(
    value: dt.datetime | None, field: str, now: dt.datetime | None = None
) -> dt.datetime:
    """A timezone-aware time that is not in the future; ``now`` when not given."""
    now = now or utcnow()
    if value is None:
        return now
    if value.tzinfo is None:
        raise InvalidInput(
            f"{field}: give a time with its zone, e.g. 2026-03-02T09:30+08:00", field=field
        )
    if value > now + FUTURE_SLACK:
        raise InvalidInput(f"{field}: {value.isoformat()} is in the future", field=field)
    return value.astimezone(dt.UTC)


# Who raises and closes queries: the monitors, the sponsor's eyes on the data.
MONITOR_ROLES = ("monitor",)


def site_by_id(session: Session, site_id: int) -> Site:
    """The site, held for the session's life (its identity map keeps objects only weakly)."""
    held: dict[int, Site] = session.info.setdefault("msctrial.sites", {})
    site = held.get(site_id)
    if site is None:
        site = session.get(Site, site_id)
        assert site is not None
        held[site_id] = site
    return site


def site_code_of(session: Session, site_id: int) -> str:
    return site_by_id(session, site_id).code


def air_of(session: Session, subject: Subject) -> Air:
    site = site_by_id(session, subject.site_id)
    return Air(site.altitude_m, site.barometric_pressure_mmhg)


def local_today(session: Session, subject: Subject, now: dt.datetime) -> dt.date:
    """Today's date at the subject's site."""
    return site_local_date(now, site_by_id(session, subject.site_id))


def subject_local_date(session: Session, subject: Subject, at: dt.datetime) -> dt.date:
    """The date of a moment at the subject's site: what study days and visit dates count."""
    return site_local_date(at, site_by_id(session, subject.site_id))


def end_of_local_day(session: Session, subject: Subject, day: dt.date) -> dt.datetime:
    """The last moment of ``day`` at the subject's site, in UTC."""
    return end_of_day(day, site_by_id(session, subject.site_id).timezone)


_PARSED: dict[str, Protocol] = {}


def protocol_of(session: Session, subject: Subject) -> Protocol:
    """The subject's trial's current protocol (parsed once per version: the text never changes)."""
    version_id, sha = session.execute(
        select(ProtocolVersion.id, ProtocolVersion.sha256)
        .where(ProtocolVersion.trial_id == subject.trial_id)
        .order_by(ProtocolVersion.version_no.desc())
        .limit(1)
    ).one()
    protocol = _PARSED.get(sha)
    if protocol is None:
        text = session.scalar(
            select(ProtocolVersion.yaml_text).where(ProtocolVersion.id == version_id)
        )
        protocol = _PARSED.setdefault(sha, load_protocol_text(text or ""))
    return protocol


def require_open_subject(subject: Subject, visit: Visit) -> None:
    """A screen failure has no visits after screening."""
    if subject.status == SubjectStatus.screen_failure and visit.day >= 0:
        raise RuleViolation(
            f"subject: {subject.subject_code} failed screening; only screening visits can be "
            "entered",
            field="subject",
        )
