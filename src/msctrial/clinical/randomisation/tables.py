"""Randomisation tables: the list, its slots, each subject's allocation, emergency unblindings.

The arm and everything about the list's structure (a slot's position, block and block size,
the list's block sizes) are ``BLINDED``: the audit trail seals them from blinded readers, and
the printed randomisation number is a keyed hash that gives no order.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from msctrial.clinical.columns import BLINDED
from msctrial.core.db import Base, UTCDateTime, utcnow
from msctrial.core.tables import Audited, Voidable


class RandomisationList(Audited, Base):
    """A trial's concealed allocation list; only the SHA-256 of its seed is kept."""

    __tablename__ = "randomisation_list"

    id: Mapped[int] = mapped_column(primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trial.id"), unique=True)
    seed_sha256: Mapped[str] = mapped_column(String(64), info={"secret": True})
    algorithm: Mapped[str] = mapped_column(String(64))
    factors: Mapped[list[Any]] = mapped_column(JSON)
    ratio: Mapped[dict[str, Any]] = mapped_column(JSON)
    block_sizes: Mapped[list[Any]] = mapped_column(JSON, info=BLINDED)
    per_stratum: Mapped[int] = mapped_column()
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RandomisationSlot(Audited, Base):
    """One line of the list: concealed until a subject takes it, then used exactly once."""

    __tablename__ = "randomisation_slot"
    __table_args__ = (
        UniqueConstraint("list_id", "stratum", "position", name="uq_slot_position"),
        Index("ix_randomisation_slot_free", "list_id", "stratum", "used_at", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("randomisation_list.id"))
    stratum: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(info=BLINDED)
    block_no: Mapped[int] = mapped_column(info=BLINDED)
    block_size: Mapped[int] = mapped_column(info=BLINDED)
    randomisation_no: Mapped[str] = mapped_column(String(32), unique=True)
    arm: Mapped[str] = mapped_column(String(200), info=BLINDED)
    subject_id: Mapped[int | None] = mapped_column(
        ForeignKey("subject.id"), unique=True, default=None
    )
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)


class Allocation(Audited, Base):
    """A subject's randomisation: number and stratum for everyone, the arm for the unblinded."""

    __tablename__ = "allocation"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), unique=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("randomisation_slot.id"), unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    randomisation_no: Mapped[str] = mapped_column(String(32))
    stratum: Mapped[str] = mapped_column(String(200))
    arm: Mapped[str] = mapped_column(String(200), info=BLINDED)
    allocated_by: Mapped[str] = mapped_column(String(100))
    allocated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The client's idempotency key: a reload or double click returns this allocation.
    request_key: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)


class EmergencyUnblinding(Audited, Base):
    """An investigator broke the blind for one subject; monitors see that (not the arm)."""

    __tablename__ = "emergency_unblinding"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    reason: Mapped[str] = mapped_column(Text)
    unblinded_by: Mapped[str] = mapped_column(String(100))
    unblinded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The client's idempotency key: a reload or double click never breaks the blind twice.
    request_key: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)


class PlannedAdministration(Audited, Voidable, Base):
    """One administration of the schedule (study day ± window), or one added by an override."""

    __tablename__ = "planned_administration"
    __table_args__ = (UniqueConstraint("subject_id", "number", name="uq_administration_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    number: Mapped[int] = mapped_column()
    study_day: Mapped[int] = mapped_column()
    window_days: Mapped[int] = mapped_column(default=0)
    optional: Mapped[bool] = mapped_column(default=False)
    unscheduled: Mapped[bool] = mapped_column(default=False)
    # The protocol's cell dose for this subject, shown the same way in every arm (blinding).
    dose_text: Mapped[str] = mapped_column(String(64))
    nominal_cells: Mapped[float | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
