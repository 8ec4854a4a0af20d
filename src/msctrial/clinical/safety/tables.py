"""Safety tables: adverse events, the expedited reports they owe, post-infusion reaction checks,
the sponsor's assessment of a suspected SUSAR and its reports to the regulators.

Every table is ``Audited`` and carries ``site_id``. Adverse events and reports are voided,
never deleted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from msctrial.core.db import Base, UTCDateTime, utcnow
from msctrial.core.tables import Audited, Voidable

MIGRATION_BRANCH = "clinical_visits"


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
    kind: Mapped[str] = mapped_column(String(24))  # rules.ReportKind
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


class SusarAssessment(Audited, Voidable, Base):
    """The sponsor's assessment of a suspected SUSAR: opened at the sponsor's first knowledge
    (day 0 of the regulatory clocks, ICH E2A), completed when its safety officer unblinds the
    case. What the unblinding found is sealed: blinded readers of the trail see that the
    assessment was completed, by whom and when, never its conclusion."""

    __tablename__ = "susar_assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    ae_id: Mapped[int] = mapped_column(ForeignKey("adverse_event.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    sponsor_aware_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    completed_by: Mapped[str | None] = mapped_column(String(100), default=None)
    request_key: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    conclusion: Mapped[str | None] = mapped_column(
        String(24), default=None, info={"blinded": True}
    )  # rules.SusarConclusion
    reason: Mapped[str | None] = mapped_column(Text, default=None, info={"blinded": True})


class RegulatoryReport(Audited, Voidable, Base):
    """A SUSAR's expedited report to the regulators, filed by the sponsor's pharmacovigilance.

    Whether it is filed or stopped (the case was on placebo) tells the arm, so the whole table
    is kept from blinded readers, in the pages and in the audit trail (``audit_blinded``).
    """

    __tablename__ = "regulatory_report"
    __table_args__ = {"info": {"audit_blinded": True}}

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("susar_assessment.id"), index=True)
    ae_id: Mapped[int] = mapped_column(ForeignKey("adverse_event.id"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    kind: Mapped[str] = mapped_column(String(24))  # rules.ReportKind, a SUSAR kind
    clock_start_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    submitted_by: Mapped[str | None] = mapped_column(String(100), default=None)
    reference: Mapped[str | None] = mapped_column(String(100), default=None)
    # Written on every report when the case is assessed, whatever the conclusion, so the trail
    # holds as many entries for a case on cells as for one on placebo.
    assessed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    stopped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    stop_reason: Mapped[str | None] = mapped_column(Text, default=None)
