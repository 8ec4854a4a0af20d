"""Public schemas of subjects, screening, consent, randomisation and dosing.

Blinding is in the types: a blinded user's schema has no arm, product kind, lot or cell count
field at all (``SubjectPublic``, ``DispensationPublic``); the ``...Unblinded`` subclasses add
them and are built only for unblinded roles (``overview.py`` decides).
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
    year_of_birth: int
    sex: str
    weight_kg: float
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


class AllocationPublic(Public):
    subject_code: str
    status: str = "randomised"
    randomisation_no: str
    allocated_at: dt.datetime
    allocated_by: str


class AllocationUnblinded(AllocationPublic):
    arm: str


class UnblindingPublic(Public):
    """That the blind was broken for a subject: who, when, why. Never the arm."""

    subject_code: str
    site_code: str
    unblinded_by: str
    unblinded_at: dt.datetime
    reason: str


class UnblindingResult(Public):
    """Returned to the investigator who broke the blind, and to nobody else."""

    subject_code: str
    arm: str
    product: str
    unblinded_by: str
    unblinded_at: dt.datetime
    reason: str


class AdministrationPublic(Public):
    number: int
    study_day: int
    window_days: int
    earliest: dt.date | None
    target: dt.date | None
    latest: dt.date | None
    optional: bool
    unscheduled: bool
    dose_text: str
    nominal_cells: float | None
    state: str
    deviations: list[str]


class DispensationPublic(Public):
    """What the bedside sees of a dispensation: units and times, nothing of the product."""

    administration_no: int
    unit_codes: list[str]
    thawed_at: dt.datetime
    dispensed_by: str
    dispensed_at: dt.datetime
    voided: bool


class DispensationUnblinded(DispensationPublic):
    product_kind: str
    lot_codes: list[str]
    cells_total: float
    volume_ml: float
    max_hold_h: float


class InfusionPublic(Public):
    administration_no: int
    scanned_unit_codes: list[str]
    started_at: dt.datetime
    stopped_at: dt.datetime
    volume_ml: float
    vitals_before: dict[str, float]
    vitals_after: dict[str, float]
    premedication: str | None
    reactions: list[str]
    reaction_notes: str | None
    recorded_by: str
    recorded_at: dt.datetime


class DeviationPublic(Public):
    administration_no: int | None
    kind: str
    description: str
    reason: str
    approved_by: str
    recorded_at: dt.datetime


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


class PharmacyTask(Public):
    """An administration the pharmacy is to prepare (pharmacist only: it names the kind)."""

    subject_code: str
    site: str
    administration_no: int
    target: dt.date | None
    earliest: dt.date | None
    latest: dt.date | None
    weight_kg: float
    kind: str
    cells_low: float | None
    cells_high: float | None


class StratumPublic(Public):
    """A stratum of the list: how many slots it has and how many are used. No arms."""

    stratum: str
    slots: int
    used: int


class RandomisationListPublic(Public):
    trial: str
    algorithm: str
    factors: list[str]
    ratio: str  # e.g. "1:1", in the protocol's arm order (arm names are on the protocol page)
    per_stratum: int
    created_by: str
    created_at: dt.datetime
    strata: list[StratumPublic]


class SeverityPublic(Public):
    severity: str
    pf_ratio: float | None
    pf_ratio_corrected: float | None
    reasons: list[str]
    ards_berlin: str | None
    who_scale: int | None
