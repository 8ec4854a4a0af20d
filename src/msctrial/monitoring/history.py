"""KRI snapshots: store today's results, read the history per snapshot date, flag changes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from msctrial.clinical.subjects.access import visible_sites
from msctrial.core.actors import Actor
from msctrial.core.db import utcnow
from msctrial.core.tables import Site
from msctrial.monitoring.config import MonitoringConfig
from msctrial.monitoring.model import FlagChange, flag_changes
from msctrial.monitoring.service import key_risk_indicators
from msctrial.monitoring.tables import KriSnapshot

# Who takes a snapshot: the trial's monitors (and the administrator who schedules it).
SNAPSHOT_ROLES = ("monitor", "admin")


@dataclass(frozen=True)
class SnapshotRow:
    snapshot_date: dt.date
    kri: str
    site: str
    numerator: float
    denominator: float
    metric: float | None
    score: float | None
    flag: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "snapshot_date": self.snapshot_date.isoformat(),
            "kri": self.kri,
            "site": self.site,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "metric": self.metric,
            "score": self.score,
            "flag": self.flag,
        }


@dataclass(frozen=True)
class SnapshotTaken:
    snapshot_date: dt.date
    rows: int
    previous_date: dt.date | None
    changes: list[FlagChange] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "snapshot_date": self.snapshot_date.isoformat(),
            "rows": self.rows,
            "previous_date": self.previous_date.isoformat() if self.previous_date else None,
            "flag_changes": [c.to_dict() for c in self.changes],
        }


def take_snapshot(
    session: Session,
    actor: Actor,
    config: MonitoringConfig | None = None,
    *,
    now: dt.datetime | None = None,
) -> SnapshotTaken:
    """Store every KRI × site of today (replacing today's earlier snapshot) in one commit."""
    actor.require(*SNAPSHOT_ROLES, to="take a KRI snapshot")
    now = now or utcnow()
    today = now.astimezone(dt.UTC).date()
    report = key_risk_indicators(session, actor, config, now=now)
    site_ids = {code: sid for sid, code in session.execute(select(Site.id, Site.code))}
    session.execute(delete(KriSnapshot).where(KriSnapshot.snapshot_date == today))
    for r in report.rows:
        session.add(
            KriSnapshot(
                snapshot_date=today,
                kri=r.kri,
                site_id=site_ids[r.site],
                numerator=r.numerator,
                denominator=r.denominator,
                metric=r.metric,
                score=r.score,
                flag=r.flag,
                taken_by=actor.audit_name,
                taken_at=now,
            )
        )
    session.flush()
    previous = session.scalar(
        select(KriSnapshot.snapshot_date)
        .where(KriSnapshot.snapshot_date < today)
        .order_by(KriSnapshot.snapshot_date.desc())
        .limit(1)
    )
    changes: list[FlagChange] = []
    if previous is not None:
        rows = read_history(session, actor, since=previous)
        before = {(r.kri, r.site): r.flag for r in rows if r.snapshot_date == previous}
        after = {(r.kri, r.site): r.flag for r in rows if r.snapshot_date == today}
        changes = flag_changes(before, after)
    session.commit()
    return SnapshotTaken(today, len(report.rows), previous, changes)


def read_history(
    session: Session,
    actor: Actor,
    *,
    kri: str | None = None,
    site: str | None = None,
    since: dt.date | None = None,
) -> list[SnapshotRow]:
    """The stored snapshots the actor may see, oldest first, by KRI and site."""
    scope = visible_sites(actor)
    stmt = select(KriSnapshot, Site.code).join(Site, Site.id == KriSnapshot.site_id)
    if scope is not None:
        stmt = stmt.where(KriSnapshot.site_id.in_(scope))
    if kri is not None:
        stmt = stmt.where(KriSnapshot.kri == kri.strip().upper())
    if site is not None:
        stmt = stmt.where(Site.code == site.strip().upper())
    if since is not None:
        stmt = stmt.where(KriSnapshot.snapshot_date >= since)
    stmt = stmt.order_by(KriSnapshot.snapshot_date, KriSnapshot.kri, Site.code)
    return [
        SnapshotRow(
            s.snapshot_date, s.kri, code, s.numerator, s.denominator, s.metric, s.score, s.flag
        )
        for s, code in session.execute(stmt)
    ]
