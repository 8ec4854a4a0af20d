"""Query tables: a data query and the steps of its thread (raised, answered, reopened, closed)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from msctrial.clinical.visits.tables import FormEntry, VisitRecord
from msctrial.core.db import Base, UTCDateTime, utcnow
from msctrial.core.tables import Audited

MIGRATION_BRANCH = "clinical_visits"


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
