"""What a database writer can do to the trail: the attacker of the tamper tests.

The attacker knows the algorithm (it is open source) and can read and write every row, but
holds the audit key only when a test hands it over.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from msctrial.core.audit import entry_hash
from msctrial.core.tables import AuditEntry, AuditHead


def rows(session: Session) -> list[dict[str, Any]]:
    cols = list(AuditEntry.__table__.columns)
    return [dict(r) for r in session.execute(select(*cols).order_by(AuditEntry.seq)).mappings()]


def relink(session: Session, from_seq: int, key: tuple[str, bytes] | None = None) -> None:
    """Recompute every link from entry ``from_seq`` on, and the head: as plain SHA-256 links
    (``key`` None, the only links a writer without the key can compute) or under ``key``."""
    entries = rows(session)
    prev = None
    for row in entries:
        if row["seq"] < from_seq:
            continue
        if prev is None:
            prev = row["prev_hash"]  # the true link before, read from the row that stores it
        row["prev_hash"] = prev
        row["key_id"] = key[0] if key else None
        prev = entry_hash(row, key[1] if key else None)
        session.execute(
            update(AuditEntry)
            .where(AuditEntry.seq == row["seq"])
            .values(prev_hash=row["prev_hash"], key_id=row["key_id"])
        )
    if prev is not None:
        session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=prev))
    session.commit()


def edit_entry(session: Session, seq: int, **values: Any) -> None:
    session.execute(update(AuditEntry).where(AuditEntry.seq == seq).values(**values))
    session.commit()


def truncate(session: Session, keep: int) -> None:
    """Delete every entry after ``keep`` and point the head at entry ``keep``: its link is
    readable, without the key, from the first deleted entry."""
    link = session.scalar(select(AuditEntry.prev_hash).where(AuditEntry.seq == keep + 1))
    session.execute(delete(AuditEntry).where(AuditEntry.seq > keep))
    session.execute(
        update(AuditHead).where(AuditHead.id == 1).values(last_seq=keep, last_hash=link)
    )
    session.commit()
