"""The registry store: the MSC trials found in loaded records, and a log of every load.

Registry records are public reference data, not clinical, product or protocol data of a trial
run here, so they are not written to the audit trail (a bulk load of the whole registry would
otherwise add tens of thousands of chained entries). Who loaded what, when, and what was
skipped is kept in ``registry_load`` instead. A study loaded again replaces its earlier row.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from msctrial.core.db import Base, UTCDateTime, utcnow


class RegistryLoad(Base):
    __tablename__ = "registry_load"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    loaded_by: Mapped[str] = mapped_column(String(100))
    paths: Mapped[list[Any]] = mapped_column(JSON, default=list)
    studies_read: Mapped[int] = mapped_column(Integer, default=0)
    msc_trials: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    problems_total: Mapped[int] = mapped_column(Integer, default=0)
    # the first problems met (file and reason); the count above is the full number
    problems: Mapped[list[Any]] = mapped_column(JSON, default=list)


class RegistryStudy(Base):
    """One MSC trial as last loaded: the normalised record, and columns to search and sort."""

    __tablename__ = "registry_study"
    __table_args__ = (
        Index("ix_registry_study_start_date", "start_date"),
        Index("ix_registry_study_registered_on", "registered_on"),
    )

    # the record's own id on its registry: NCT04252118, ChiCTR2000029990, EUCTR2020-001266-11-ES
    trial_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # ("registry" is the column; the name is Declarative's own attribute)
    registry_name: Mapped[str] = mapped_column("registry", String(64), default="ClinicalTrials.gov")
    registered_on: Mapped[str | None] = mapped_column(String(10), default=None)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    combined: Mapped[bool] = mapped_column(Boolean, default=False)  # MSCs with another agent
    linked_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    url: Mapped[str | None] = mapped_column(Text, default=None)
    title: Mapped[str] = mapped_column(Text)
    institution: Mapped[str | None] = mapped_column(Text, default=None)
    overall_status: Mapped[str | None] = mapped_column(String(40), default=None)
    start_date: Mapped[str | None] = mapped_column(String(10), default=None)
    phases: Mapped[list[Any]] = mapped_column(JSON, default=list)
    countries: Mapped[list[Any]] = mapped_column(JSON, default=list)
    enrollment: Mapped[int | None] = mapped_column(Integer, default=None)
    product_type: Mapped[str | None] = mapped_column(String(32), default=None)
    cell_source: Mapped[str | None] = mapped_column(String(32), default=None)
    route: Mapped[str | None] = mapped_column(String(32), default=None)
    administrations: Mapped[int | None] = mapped_column(Integer, default=None)
    source_format: Mapped[str] = mapped_column(String(32))
    source_file: Mapped[str] = mapped_column(Text)
    data_version: Mapped[str | None] = mapped_column(String(32), default=None)
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    loaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    load_id: Mapped[int] = mapped_column(ForeignKey("registry_load.id"))
