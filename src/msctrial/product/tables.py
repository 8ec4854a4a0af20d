"""Product tables: specifications, products, lots, units, inspections, results, signatures,
unit issues to subjects, and recall follow-ups. Every one is audited; nothing is deleted.

Blinding in the audit trail: a unit's code, lot and contents, and the lot of a recall
follow-up, would tie a unit or a subject to cells or placebo, so those columns are sealed
(``info={"blinded": True}``): blinded readers of the trail see that they changed, not to what.
An issue refers to its unit by code, never by row id, so a blinded reader cannot follow an
issue to the unit's creation entry beside its lot's.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from msctrial.core.db import Base, UTCDateTime, utcnow
from msctrial.core.tables import Audited, Voidable

SEALED = {"blinded": True}


class Specification(Audited, Base):
    __tablename__ = "product_specification"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_product_specification"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    version: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    yaml_text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Product(Audited, Base):
    __tablename__ = "product"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    tissue_source: Mapped[str | None] = mapped_column(String(40), default=None)
    donor_type: Mapped[str | None] = mapped_column(String(16), default=None)
    shelf_life_days: Mapped[int | None] = mapped_column(default=None)
    max_hold_h: Mapped[float | None] = mapped_column(Float, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Lot(Audited, Base):
    __tablename__ = "lot"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    specification_id: Mapped[int] = mapped_column(ForeignKey("product_specification.id"))
    process_version: Mapped[str] = mapped_column(String(20))
    donor_code: Mapped[str | None] = mapped_column(String(40), default=None)
    passage: Mapped[int | None] = mapped_column(default=None)
    manufactured_on: Mapped[dt.date] = mapped_column(Date)
    cryopreserved_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    expires_on: Mapped[dt.date] = mapped_column(Date)
    storage_location: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="quarantine")
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    product: Mapped[Product] = relationship(lazy="joined")
    specification: Mapped[Specification] = relationship(lazy="select")  # a large text


class Unit(Audited, Base):
    """A bag or vial. Its code is opaque (``model.unit_code``) and is what a label shows."""

    __tablename__ = "product_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True, info=SEALED)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"), index=True, info=SEALED)
    cells: Mapped[float | None] = mapped_column(Float, default=None, info=SEALED)
    volume_ml: Mapped[float] = mapped_column(Float, info=SEALED)

    lot: Mapped[Lot] = relationship(lazy="joined")


class Inspection(Audited, Base):
    """A quality inspection (of a product and process version, on samples of one lot) or the
    release inspection of a lot."""

    __tablename__ = "product_inspection"
    __table_args__ = (UniqueConstraint("lot_id", "level", name="uq_product_inspection"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(String(16))
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    process_version: Mapped[str] = mapped_column(String(20))
    specification_id: Mapped[int] = mapped_column(ForeignKey("product_specification.id"))
    opened_by: Mapped[str] = mapped_column(String(100))
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TestResult(Audited, Voidable, Base):
    """One result of one test; a correction voids it (with a reason) and adds a new one."""

    __test__ = False
    __tablename__ = "product_test_result"
    __table_args__ = (Index("ix_product_test_result_inspection", "inspection_id", "test_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("product_inspection.id"))
    test_code: Mapped[str] = mapped_column(String(40))
    value: Mapped[float | None] = mapped_column(Float, default=None)
    unit: Mapped[str | None] = mapped_column(String(40), default=None)
    outcome: Mapped[str | None] = mapped_column(String(20), default=None)
    tested_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    note: Mapped[str] = mapped_column(Text, default="")
    entered_by: Mapped[str] = mapped_column(String(100))
    entered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LotSignature(Audited, Base):
    """An e-signature on a lot decision: who, when, and what the signature means."""

    __tablename__ = "lot_signature"

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))  # release, reject, recall
    meaning: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    signed_by: Mapped[str] = mapped_column(String(100))
    signer_name: Mapped[str] = mapped_column(String(200), default="")
    signed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class UnitIssue(Audited, Voidable, Base):
    """A unit handed out by the pharmacy for one subject's administration.

    A voided issue keeps its unit out of stock (discarded) unless ``returned_to_stock``; the
    unit row itself is never updated, so no audit entry ties the subject to the unit's row.
    """

    __tablename__ = "unit_issue"
    __table_args__ = (Index("ix_unit_issue_subject", "subject_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("product_unit.code"), index=True)
    subject_code: Mapped[str] = mapped_column(String(40))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    administration_no: Mapped[int] = mapped_column()
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    issued_by: Mapped[str] = mapped_column(String(100))
    thawed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    used_by: Mapped[str | None] = mapped_column(String(100), default=None)
    returned_to_stock: Mapped[bool] = mapped_column(default=False)


class RecallFollowUp(Audited, Base):
    """A recipient of a recalled lot, to be followed up; closed with a note."""

    __tablename__ = "recall_follow_up"
    __table_args__ = (UniqueConstraint("lot_id", "subject_code", name="uq_recall_follow_up"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"), info=SEALED)
    subject_code: Mapped[str] = mapped_column(String(40))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    closed_by: Mapped[str | None] = mapped_column(String(100), default=None)
    note: Mapped[str] = mapped_column(Text, default="")
