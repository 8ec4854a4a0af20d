"""Putting each production of the unblinded report on the audit trail."""

from __future__ import annotations

from sqlalchemy.orm import Session

from msctrial.analysis.tables import UnblindedReport
from msctrial.core import audit
from msctrial.core.actors import Actor
from msctrial.core.db import utcnow

DOORS = ("cli", "web")


def record_unblinded_report(session: Session, actor: Actor, door: str) -> int:
    """Record that ``actor`` was given the unblinded report through ``door``; commit."""
    if door not in DOORS:
        raise ValueError(f"door: {door!r}; allowed: {', '.join(DOORS)}")
    session.commit()  # end the report's read, so the record's write is a transaction of its own
    audit.attach(session, actor)
    row = UnblindedReport(reader=actor.audit_name, door=door, produced_at=utcnow())
    session.add(row)
    session.commit()
    return row.id
