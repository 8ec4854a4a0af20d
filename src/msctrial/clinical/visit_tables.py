"""Clinical tables, part 2: visits and form entries, queries, adverse events and SAE reports.

Every table is ``Audited`` and carries ``site_id`` (site isolation, and the site's audit
trail). Nothing here reveals the allocation, so no column is sealed. A form value keeps what
was typed with its unit *and* the canonical value in the item's canonical unit
(``clinical.forms``), so a lab reporting CRP in mg/dL and one in mg/L are comparable and the
original stays on record. Form entries and adverse events are voided, never deleted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint, text
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


class DataQuery(Audited, Base):
    """A question about data: raised (by an edit check or a monitor), answered, closed."""

    __tablename__ = "data_query"
    __table_args__ = (Index("ix_data_query_site_status", "site_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit_record.id"), default=None)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("form_entry.id"), default=None)
    item: Mapped[str | None] = mapped_column(String(40), default=None)
    ae_id: Mapped[int | None] = mapped_column(ForeignKey("adverse_event.id"), default=None)
    origin: Mapped[str] = mapped_column(String(16))  # edit_check | monitor
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="open")  # open | answered | closed
    raised_by: Mapped[str] = mapped_column(String(100))
    raised_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answered_by: Mapped[str | None] = mapped_column(String(100), default=None)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    closed_by: Mapped[str | None] = mapped_column(String(100), default=None)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)

    visit: Mapped[VisitRecord | None] = relationship()
    entry: Mapped[FormEntry | None] = relationship()
    messages: Mapped[list[QueryMessage]] = relationship(order_by="QueryMessage.id")


class QueryMessage(Audited, Base):
    """One step of a query's conversation: raised, answered, reopened or closed, with text."""

    __tablename__ = "query_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    query_id: Mapped[int] = mapped_column(ForeignKey("data_query.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    action: Mapped[str] = mapped_column(String(12))
    text: Mapped[str] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AdverseEvent(Audited, Voidable, Base):
    """An adverse event: CTCAE grade, ICH E2A seriousness, causality, expectedness, outcome."""

    __tablename__ = "adverse_event"
    __table_args__ = (UniqueConstraint("subject_id", "number", name="uq_adverse_event_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    number: Mapped[int] = mapped_column()  # AE 1, 2, ... of this subject
    term: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    onset_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date, default=None)
    grade: Mapped[int] = mapped_column()
    serious: Mapped[bool] = mapped_column(default=False)
    seriousness: Mapped[list[Any]] = mapped_column(JSON, default=list)
    relationship_product: Mapped[str] = mapped_column(String(16))
    relationship_infusion: Mapped[str] = mapped_column(String(16))
    expectedness: Mapped[str] = mapped_column(String(12))
    susar: Mapped[bool] = mapped_column(default=False)
    action_taken: Mapped[str] = mapped_column(String(24))
    outcome: Mapped[str] = mapped_column(String(24))
    infusion_id: Mapped[int | None] = mapped_column(ForeignKey("infusion.id"), default=None)
    expected_reaction: Mapped[str | None] = mapped_column(String(24), default=None)
    awareness_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    reported_by: Mapped[str] = mapped_column(String(100))
    reported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SaeReport(Audited, Voidable, Base):
    """An expedited report an SAE owes: to the sponsor in 24 h, SUSARs to the regulators."""

    __tablename__ = "sae_report"
    __table_args__ = (Index("ix_sae_report_open", "submitted_at", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ae_id: Mapped[int] = mapped_column(ForeignKey("adverse_event.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    kind: Mapped[str] = mapped_column(String(24))  # adverse_events.ReportKind
    clock_start_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    submitted_by: Mapped[str | None] = mapped_column(String(100), default=None)
    reference: Mapped[str | None] = mapped_column(String(100), default=None)


class InfusionReactionCheck(Audited, Base):
    """The expected-reaction questions asked after an infusion (DOMAIN §4, CLINICAL_FACTS §7)."""

    __tablename__ = "infusion_reaction_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    infusion_id: Mapped[int] = mapped_column(ForeignKey("infusion.id"), unique=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    fever: Mapped[bool] = mapped_column()
    chills: Mapped[bool] = mapped_column()
    allergic_reaction: Mapped[bool] = mapped_column()
    local_inflammation: Mapped[bool] = mapped_column()
    max_temperature_c: Mapped[float | None] = mapped_column(default=None)
    notes: Mapped[str | None] = mapped_column(Text, default=None)
    checked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    checked_by: Mapped[str] = mapped_column(String(100))


class StudyExit(Audited, Base):
    """How and when a subject left the trial: died, withdrew, lost to follow-up, completed.

    After the exit date no further visit is expected (``visits.VisitState.not_expected``).
    """

    __tablename__ = "study_exit"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    kind: Mapped[str] = mapped_column(String(24))
    exit_date: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
