"""Public shapes of adverse events, SAE reports and post-infusion checks (no arm: an event is
the same for every arm, so blinded and unblinded readers get the same shapes), and of the
sponsor's assessment of a suspected SUSAR: ``AssessmentPublic`` for everyone (pending or
complete, never the conclusion), ``SusarCasePublic`` for the sponsor's safety officer.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class SaeReportPublic(BaseModel):
    id: int
    ae_id: int
    subject: str
    site: str
    term: str
    kind: str
    label: str
    clock_start_at: dt.datetime
    due_at: dt.datetime
    submitted_at: dt.datetime | None
    submitted_by: str | None
    reference: str | None
    state: str


class AdverseEventPublic(BaseModel):
    id: int
    subject: str
    site: str
    number: int
    term: str
    description: str | None
    onset_date: dt.date
    end_date: dt.date | None
    grade: int
    grade_meaning: str
    serious: bool
    seriousness: list[str]
    relationship_product: str
    relationship_infusion: str
    related: bool
    expectedness: str
    susar: bool
    action_taken: str
    outcome: str
    infusion_id: int | None
    expected_reaction: str | None
    awareness_at: dt.datetime
    reported_by: str
    reported_at: dt.datetime
    voided: bool
    void_reason: str | None = None
    reports: list[SaeReportPublic] = Field(default_factory=list)
    # A suspected SUSAR's sponsor assessment: "pending" or "complete" (never its conclusion).
    sponsor_assessment: str | None = None


class InfusionCheckPublic(BaseModel):
    infusion_id: int
    label: str = ""  # "Day 3 infusion": what a page shows instead of the id
    started_at: dt.datetime
    checked: bool
    checked_at: dt.datetime | None = None
    reactions: list[str] = Field(default_factory=list)
    overdue: bool = False


class AssessmentPublic(BaseModel):
    """A suspected SUSAR's sponsor assessment, as every reader of the event sees it."""

    id: int
    ae_id: int
    subject: str
    site: str
    term: str
    sponsor_aware_at: dt.datetime
    state: str
    label: str
    completed_at: dt.datetime | None = None
    completed_by: str | None = None


class AssessmentUnblinded(AssessmentPublic):
    """The same, with the conclusion, for unblinded readers (DSMB) and the safety officer."""

    conclusion: str | None = None
    conclusion_label: str | None = None


class RegulatoryReportPublic(BaseModel):
    id: int
    ae_id: int
    kind: str
    label: str
    clock_start_at: dt.datetime
    due_at: dt.datetime
    submitted_at: dt.datetime | None
    submitted_by: str | None
    reference: str | None
    stopped_at: dt.datetime | None
    stop_reason: str | None
    state: str


class SusarCasePublic(BaseModel):
    """One suspected SUSAR as the sponsor's safety officer works it: the event, the clocks
    from the sponsor's awareness, and once the case is unblinded its arm and conclusion."""

    assessment: AssessmentUnblinded
    event: AdverseEventPublic
    reports: list[RegulatoryReportPublic]
    arm: str | None = None
    product: str | None = None
    told: list[str] = Field(default_factory=list)
