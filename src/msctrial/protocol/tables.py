"""Protocol tables: the trial, and every version of its protocol (old versions stay)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from msctrial.core.db import Base, UTCDateTime, utcnow
from msctrial.core.tables import Audited


class Trial(Audited, Base):
    __tablename__ = "trial"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ProtocolVersion(Audited, Base):
    __tablename__ = "protocol_version"
    __table_args__ = (UniqueConstraint("trial_id", "version_no", name="uq_protocol_version_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trial.id"))
    version_no: Mapped[int] = mapped_column()
    label: Mapped[str] = mapped_column(String(50))
    yaml_text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    amendment_reason: Mapped[str | None] = mapped_column(Text, default=None)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
