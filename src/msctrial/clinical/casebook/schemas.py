"""Public shapes of the casebook, the subject's case file and the trial's visit matrix."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from msctrial.clinical.data_queries.schemas import QueryPublic
from msctrial.clinical.dosing.schemas import (
    AdministrationPublic,
    DeviationPublic,
    DispensationPublic,
    DispensationUnblinded,
    InfusionPublic,
)
from msctrial.clinical.randomisation.schemas import (
    AllocationPublic,
    AllocationUnblinded,
    UnblindingPublic,
)
from msctrial.clinical.safety.schemas import AdverseEventPublic, InfusionCheckPublic
from msctrial.clinical.subjects.schemas import (
    ConsentPublic,
    Public,
    ScreenFailurePublic,
    ScreeningPublic,
    SubjectPublic,
    SubjectUnblinded,
)
from msctrial.clinical.visits.schemas import VisitStatusPublic


class SubjectDetail(Public):
    """A subject's case file; the unblinded types appear only for unblinded users.

    The unions name the unblinded type first: pydantic serialises a field by the declared
    type, so a plain ``SubjectPublic`` field would drop the arm even for the pharmacist.
    """

    subject: SubjectUnblinded | SubjectPublic
    screenings: list[ScreeningPublic]
    screen_failure: ScreenFailurePublic | None
    consents: list[ConsentPublic]
    allocation: AllocationUnblinded | AllocationPublic | None
    administrations: list[AdministrationPublic]
    dispensations: list[DispensationUnblinded | DispensationPublic]
    infusions: list[InfusionPublic]
    deviations: list[DeviationPublic]
    unblindings: list[UnblindingPublic]


class SubjectHeader(BaseModel):
    code: str
    site: str
    status: str
    severity: str | None
    day0_date: dt.date | None
    sex: str | None  # None on the screening log, before consent
    year_of_birth: int | None


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
