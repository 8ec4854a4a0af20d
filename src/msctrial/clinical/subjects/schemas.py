"""Public schemas of subjects, screening and consent.

Blinding is in the types: ``SubjectPublic`` has no arm field at all; ``SubjectUnblinded`` adds
it and is built only for unblinded roles (``casebook.record`` decides).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict


class Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class SubjectPublic(Public):
    subject_code: str
    site: str
    # None while the patient is only on the screening log (before consent and screening).
    year_of_birth: int | None
    sex: str | None
    weight_kg: float | None
    prescreened_on: dt.date | None = None
    status: str
    severity: str | None
    eligible: bool | None
    consented: bool
    randomisation_no: str | None
    randomised_at: dt.datetime | None
    day0_date: dt.date | None
    emergency_unblinded: bool
    created_at: dt.datetime


class SubjectUnblinded(SubjectPublic):
    arm: str | None


class CriterionPublic(Public):
    kind: str
    text: str
    met: bool | None
    note: str


class ScreeningPublic(Public):
    observed_at: dt.datetime
    severity: str
    pf_ratio: float | None
    pf_ratio_corrected: float | None
    ards_berlin: str | None
    who_scale: int | None
    reasons: list[str]
    progressing_basis: str | None
    eligible: bool
    criteria: list[CriterionPublic]
    observations: dict[str, Any]
    recorded_by: str


class ScreenFailurePublic(Public):
    reason: str
    recorded_by: str
    recorded_at: dt.datetime


class ScreeningOutcomePublic(Public):
    subject: SubjectUnblinded | SubjectPublic
    screening: ScreeningPublic
    screen_failure: ScreenFailurePublic | None


class ConsentPublic(Public):
    form_version: str
    consented_at: dt.datetime
    taken_by: str
    signer: str
    representative_name: str | None
    representative_relationship: str | None
    recorded_by: str
    recorded_at: dt.datetime


class SeverityPublic(Public):
    severity: str
    pf_ratio: float | None
    pf_ratio_corrected: float | None
    reasons: list[str]
    ards_berlin: str | None
    who_scale: int | None
