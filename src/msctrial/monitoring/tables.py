"""Monitoring tables: the KRI results of each snapshot date, for trends and flag changes.

A snapshot is derived data, recomputable from the audited clinical records it was computed
from, so it is not itself on the audit trail; taking a second snapshot on the same date
replaces that date's rows (the history keeps one set per snapshot date, as gsm's reporting
tables do).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from msctrial.core.db import Base, UTCDateTime, utcnow


class KriSnapshot(Base):
    """One KRI (or the site risk score, ``SRS``) at one site on one snapshot date."""

    __tablename__ = "kri_snapshot"
    __table_args__ = (
        UniqueConstraint("snapshot_date", "kri", "site_id", name="uq_kri_snapshot"),
        Index("ix_kri_snapshot_kri_site", "kri", "site_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_date: Mapped[dt.date] = mapped_column(Date, index=True)
    kri: Mapped[str] = mapped_column(String(16))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    numerator: Mapped[float] = mapped_column()
    denominator: Mapped[float] = mapped_column()
    metric: Mapped[float | None] = mapped_column(default=None)
    score: Mapped[float | None] = mapped_column(default=None)
    flag: Mapped[int | None] = mapped_column(default=None)
    taken_by: Mapped[str] = mapped_column(String(100))
    taken_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
