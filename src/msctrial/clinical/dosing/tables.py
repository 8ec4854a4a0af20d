"""Dosing tables: planned administrations, dispensations, infusions and protocol deviations.

What would reveal the allocation (product kind, lots, cells, product volume and hold time) is
``BLINDED``: sealed on the audit trail, read only by unblinded roles.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from msctrial.clinical.columns import BLINDED
from msctrial.core.db import Base, UTCDateTime, utcnow
from msctrial.core.tables import Audited, Voidable


class Dispensation(Audited, Voidable, Base):
    """The pharmacist's preparation of one administration: units issued, thaw time."""

    __tablename__ = "dispensation"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    administration_id: Mapped[int] = mapped_column(
        ForeignKey("planned_administration.id"), index=True
    )
    unit_codes: Mapped[list[Any]] = mapped_column(JSON)
    product_kind: Mapped[str] = mapped_column(String(24), info=BLINDED)
    lot_codes: Mapped[list[Any]] = mapped_column(JSON, info=BLINDED)
    # Zero for placebo, never null: a null would leave the field out of the audit entry and
    # so tell a blinded reader of the trail which dispensations were placebo.
    cells_total: Mapped[float] = mapped_column(info=BLINDED)
    # Product volume and hold time differ between cells and placebo: sealed as well.
    volume_ml: Mapped[float] = mapped_column(info=BLINDED)
    thawed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    max_hold_h: Mapped[float] = mapped_column(info=BLINDED)
    dispensed_by: Mapped[str] = mapped_column(String(100))
    dispensed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BedsideCheck(Audited, Base):
    """The check at the bedside before an infusion: every unit scanned against the patient.

    Recorded whether it passes or not; a refusal keeps its reasons (issue 9, hole 2).
    """

    __tablename__ = "bedside_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    administration_id: Mapped[int] = mapped_column(
        ForeignKey("planned_administration.id"), index=True
    )
    dispensation_id: Mapped[int | None] = mapped_column(ForeignKey("dispensation.id"), default=None)
    scanned_unit_codes: Mapped[list[Any]] = mapped_column(JSON)
    passed: Mapped[bool] = mapped_column()
    reasons: Mapped[list[Any]] = mapped_column(JSON)
    checked_by: Mapped[str] = mapped_column(String(100))
    checked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Infusion(Audited, Voidable, Base):
    """What happened at the bedside: the scanned units, times, volume, vitals and reactions."""

    __tablename__ = "infusion"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    administration_id: Mapped[int] = mapped_column(
        ForeignKey("planned_administration.id"), index=True
    )
    dispensation_id: Mapped[int] = mapped_column(ForeignKey("dispensation.id"))
    # The passed check it was given after; null only for infusions recorded before the check
    # was its own step.
    bedside_check_id: Mapped[int | None] = mapped_column(
        ForeignKey("bedside_check.id"), default=None
    )
    scanned_unit_codes: Mapped[list[Any]] = mapped_column(JSON)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    stopped_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    volume_ml: Mapped[float] = mapped_column()
    vitals_before: Mapped[dict[str, Any]] = mapped_column(JSON)
    vitals_after: Mapped[dict[str, Any]] = mapped_column(JSON)
    premedication: Mapped[str | None] = mapped_column(Text, default=None)
    reactions: Mapped[list[Any]] = mapped_column(JSON)
    reaction_notes: Mapped[str | None] = mapped_column(Text, default=None)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ProtocolDeviation(Audited, Voidable, Base):
    """A schedule rule overridden by an investigator with a reason (kind: model.DeviationKind)."""

    __tablename__ = "protocol_deviation"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    administration_id: Mapped[int | None] = mapped_column(
        ForeignKey("planned_administration.id"), default=None
    )
    kind: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    approved_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DispensingRefusal(Audited, Base):
    """A dispensing the platform refused by a rule (an unreleased or expired lot, a unit past
    its post-thaw window, a schedule rule not overridden): kept, though nothing was issued, so
    a monitor sees how often a site's pharmacy was stopped (KRI ``BLKD``).

    The message may name the product kind or a lot (``no 50 mL placebo units``): sealed.
    """

    __tablename__ = "dispensing_refusal"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    administration_no: Mapped[int] = mapped_column()
    field: Mapped[str | None] = mapped_column(String(80), default=None)
    message: Mapped[str] = mapped_column(Text, info=BLINDED)
    refused_by: Mapped[str] = mapped_column(String(100))
    refused_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
