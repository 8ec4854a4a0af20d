"""Public shapes of visits, forms and form entries (API and pages); none has an arm."""

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
