"""Public shapes of visits, forms, queries, adverse events and the casebook (API and pages).

Explicit pydantic models, never ORM rows. None of them has an arm, a kit-to-arm link or a lot:
visit data are the same for every arm, so blinded and unblinded users get the same shapes.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class ValuePublic(BaseModel):
    item: str
    label: str
    value: float | None = Field(description="canonical value, in `unit`")
    unit: str | None
    text: str | None = Field(description="choice, yes/no (true/false) or date")
    entered: float | None = Field(description="the number as typed")
    entered_unit: str | None = Field(description="the unit it was typed in")
    flag: str | None = None
    derived: bool = False
    note: str | None = None


class EntryPublic(BaseModel):
    id: int
    subject: str
    visit: str
    visit_key: str
    form: str
    form_label: str
    visit_date: dt.date | None
    collected_at: dt.datetime | None
    version: int
    entered_by: str
    entered_at: dt.datetime
    voided: bool
    void_reason: str | None = None
    values: list[ValuePublic]
    queries_raised: list[int] = Field(default_factory=list, description="edit-check queries")


class FormCell(BaseModel):
    form: str
    label: str
    entry_id: int | None = None
    open_queries: int = 0


class VisitStatusPublic(BaseModel):
    visit: str
    key: str
    day: int
    window_days: int
    target: dt.date | None
    earliest: dt.date | None
    latest: dt.date | None
    state: str
    visit_date: dt.date | None
    out_of_window: bool
    days_overdue: int
    not_done_reason: str | None = None
    forms: list[FormCell]
    forms_missing: list[str]


class OverdueVisit(BaseModel):
    subject: str
    site: str
    visit: str
    key: str
    state: str
    latest: dt.date | None
    days_overdue: int
    forms_missing: list[str]


class QueryMessagePublic(BaseModel):
    action: str
    text: str
    by: str
    at: dt.datetime


class QueryPublic(BaseModel):
    id: int
    subject: str
    site: str
    visit: str | None
    form: str | None
    entry_id: int | None
    item: str | None
    ae_id: int | None
    origin: str
    text: str
    status: str
    raised_by: str
    raised_at: dt.datetime
    answered_by: str | None
    answered_at: dt.datetime | None
    closed_by: str | None
    closed_at: dt.datetime | None
    messages: list[QueryMessagePublic] = Field(default_factory=list)


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


class InfusionCheckPublic(BaseModel):
    infusion_id: int
    started_at: dt.datetime
    checked: bool
    checked_at: dt.datetime | None = None
    reactions: list[str] = Field(default_factory=list)
    overdue: bool = False


class SubjectHeader(BaseModel):
    code: str
    site: str
    status: str
    severity: str | None
    day0_date: dt.date | None
    sex: str
    year_of_birth: int


class CasebookPublic(BaseModel):
    subject: SubjectHeader
    forms: list[str] = Field(description="the columns: every form of the schedule")
    visits: list[VisitStatusPublic]
    adverse_events: list[AdverseEventPublic]
    queries: list[QueryPublic]
    infusions: list[InfusionCheckPublic]


class MatrixRow(BaseModel):
    subject: str
    site: str
    status: str
    states: dict[str, str] = Field(description="visit name → state")
    open_queries: int
    adverse_events: int
    serious_adverse_events: int


class TrialMatrix(BaseModel):
    visits: list[str]
    rows: list[MatrixRow]


class ItemPublic(BaseModel):
    name: str
    label: str
    kind: str
    unit: str | None
    units: list[str]
    hard: list[float | None] | None
    soft: list[float | None] | None
    reference: str | None
    choices: list[str]
    required: bool
    derived: bool
    scale: str | None
    source: str
    help: str


class FormPublic(BaseModel):
    name: str
    label: str
    items: list[ItemPublic]
