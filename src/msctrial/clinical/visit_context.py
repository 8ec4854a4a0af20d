"""What the visit, query and adverse-event services share: roles, a subject's site and protocol.

A subject's protocol is the latest version of its trial's protocol, parsed once per version
(the text is immutable, keyed by its SHA-256). Calendar days are the site's: a visit date,
"today" and "end of the day" follow the site's time zone (``Site.timezone``).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from msctrial.clinical.derived import Air
from msctrial.clinical.model import SubjectStatus
from msctrial.clinical.subjects import visible_sites
from msctrial.clinical.tables import Subject
from msctrial.core.errors import RuleViolation
from msctrial.core.tables import Site
from msctrial.core.users import Actor
from msctrial.protocol.loader import load_protocol_text
from msctrial.protocol.model import Protocol, Visit
from msctrial.protocol.tables import ProtocolVersion

# Who enters visit forms and adverse events at their site (DESIGN.md "Who uses it").
ENTER_ROLES = ("investigator", "coordinator")
# Who raises and closes queries: the monitors, the sponsor's eyes on the data.
MONITOR_ROLES = ("monitor",)


def visible_site_ids(actor: Actor) -> frozenset[int] | None:
    """Sites whose clinical data the actor may read (None: all); the subjects module's rule."""
    return visible_sites(actor)


def site_of(session: Session, site_id: int) -> Site:
    """The site, held for the session's life (its identity map keeps objects only weakly)."""
    held: dict[int, Site] = session.info.setdefault("msctrial.sites", {})
    site = held.get(site_id)
    if site is None:
        site = session.get(Site, site_id)
        assert site is not None
        held[site_id] = site
    return site


def site_code_of(session: Session, site_id: int) -> str:
    return site_of(session, site_id).code


def air_of(session: Session, subject: Subject) -> Air:
    site = site_of(session, subject.site_id)
    return Air(site.altitude_m, site.barometric_pressure_mmhg)


def _zone(session: Session, subject: Subject) -> ZoneInfo:
    try:
        return ZoneInfo(site_of(session, subject.site_id).timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_today(session: Session, subject: Subject, now: dt.datetime) -> dt.date:
    return now.astimezone(_zone(session, subject)).date()


def local_date(session: Session, subject: Subject, at: dt.datetime) -> dt.date:
    return at.astimezone(_zone(session, subject)).date()


def end_of_local_day(session: Session, subject: Subject, day: dt.date) -> dt.datetime:
    """The last moment of ``day`` at the subject's site, in UTC."""
    zone = _zone(session, subject)
    end = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=zone)
    return end.astimezone(dt.UTC)


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
