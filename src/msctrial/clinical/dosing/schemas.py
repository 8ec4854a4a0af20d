"""Public schemas of the administration schedule, dispensations and infusions.

Blinding is in the types: ``DispensationPublic`` has no product kind, lot, cell count or
volume; ``DispensationUnblinded`` adds them and is built only for unblinded roles.
"""

from __future__ import annotations

import datetime as dt

from msctrial.clinical.subjects.schemas import Public


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
    bedside_check_id: int | None
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


class DispensingPlanPublic(Public):
    """What the pharmacy prepares for one administration (pharmacist only: it names the kind)."""

    subject_code: str
    administration_no: int
    kind: str
    weight_kg: float
    units: int
    unit_volume_ml: float
    volume_ml: float
    cells: float
    proposed: list[str]


class BedsideCheckPublic(Public):
    """A bedside check as the bedside sees it: units, result and reasons, nothing of the arm."""

    id: int
    administration_no: int
    scanned_unit_codes: list[str]
    passed: bool
    reasons: list[str]
    checked_by: str
    checked_at: dt.datetime
