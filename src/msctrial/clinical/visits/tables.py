"""Visit tables: a subject's visits, the forms entered at them, and each form's values.

A form value keeps what was typed with its unit *and* the canonical value in the item's
canonical unit (``visits.forms``), so a lab reporting CRP in mg/dL and one in mg/L are
comparable and the original stays on record. Form entries are voided, never deleted.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from msctrial.core.db import Base, UTCDateTime, utcnow
from msctrial.core.tables import Audited, Voidable

MIGRATION_BRANCH = "clinical_visits"


class VisitRecord(Audited, Base):
    """A subject's visit of the protocol schedule: when it took place, or why it did not."""

    __tablename__ = "visit_record"
    __table_args__ = (UniqueConstraint("subject_id", "visit_name", name="uq_visit_record"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    visit_name: Mapped[str] = mapped_column(String(100))
    study_day: Mapped[int] = mapped_column()  # the planned day of the protocol visit
    visit_date: Mapped[dt.date | None] = mapped_column(Date, default=None)
    not_done_reason: Mapped[str | None] = mapped_column(Text, default=None)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FormEntry(Audited, Voidable, Base):
    """One form entered at one visit; at most one live (not voided) entry per visit and form."""

    __tablename__ = "form_entry"
    __table_args__ = (
        # One live entry per visit and form, even when two are saved at the same moment.
        Index(
            "uq_form_entry_live",
            "visit_id",
            "form",
            unique=True,
            sqlite_where=text("voided_at IS NULL"),
            postgresql_where=text("voided_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit_record.id"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    form: Mapped[str] = mapped_column(String(40))
    collected_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    version: Mapped[int] = mapped_column(default=1)
    entered_by: Mapped[str] = mapped_column(String(100))
    entered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    # Set together, the entry, its visit and its values are written in one flush.
    visit: Mapped[VisitRecord] = relationship()
    rows: Mapped[list[FormValue]] = relationship(back_populates="entry")


class FormValue(Audited, Base):
    """One item of a form entry: canonical value and unit, and what was typed in which unit."""

    __tablename__ = "form_value"
    __table_args__ = (UniqueConstraint("entry_id", "item", name="uq_form_value_item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("form_entry.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    item: Mapped[str] = mapped_column(String(40))
    number: Mapped[float | None] = mapped_column(default=None)
    unit: Mapped[str | None] = mapped_column(String(24), default=None)
    text: Mapped[str | None] = mapped_column(Text, default=None)
    entered: Mapped[float | None] = mapped_column(default=None)
    entered_unit: Mapped[str | None] = mapped_column(String(24), default=None)
    # e.g. fio2_read_as_percent, ddu_doubled_to_feu
    flag: Mapped[str | None] = mapped_column(String(40), default=None)
    derived: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(String(200), default=None)

    entry: Mapped[FormEntry] = relationship(back_populates="rows")
