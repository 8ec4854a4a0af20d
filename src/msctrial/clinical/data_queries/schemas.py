"""Public shapes of data queries and the messages of their threads."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


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
