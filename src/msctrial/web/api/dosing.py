"""JSON API for dosing: the schedule, dispensing, the bedside check and the infusion.

Pharmacist routes answer with the kind and lots (the pharmacy is unblinded); the bedside's
routes (check and infusion) with unit codes, times and reasons only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter
from pydantic import Field

from msctrial.clinical.casebook.record import subject_detail
from msctrial.clinical.dosing import dispensing, schedule
from msctrial.clinical.dosing.bedside import verify_at_bedside
from msctrial.clinical.dosing.dispensing import dispense_administration
from msctrial.clinical.dosing.infusion import record_infusion
from msctrial.clinical.dosing.schemas import (
    AdministrationPublic,
    BedsideCheckPublic,
    DeviationPublic,
    DispensationUnblinded,
    DispensingPlanPublic,
    InfusionPublic,
    PharmacyTask,
)
from msctrial.clinical.dosing.tables import BedsideCheck
from msctrial.clinical.dosing.views import pharmacy_worklist
from msctrial.core.validation import MAX_RECORD_ID
from msctrial.web.api.clinical import Body, ReasonRequest
from msctrial.web.deps import ApiActor, Config, Db, Ordinal

router = APIRouter(prefix="/api/v1/clinical", tags=["clinical"])


class OverrideRequest(Body):
    planned_on: dt.date
    reason: str | None = None
    administration_no: int | None = Field(
        default=None,
        ge=1,
        le=MAX_RECORD_ID,
        description="omit to add an unscheduled administration",
    )


class DispenseRequest(Body):
    unit_codes: list[str] | None = Field(
        default=None, description="omit to issue the plan's proposed (first-expiry) units"
    )
    thawed_at: dt.datetime


class BedsideCheckRequest(Body):
    scanned_unit_codes: list[str]


class InfusionRequest(Body):
    bedside_check_id: int = Field(
        ge=1, le=MAX_RECORD_ID, description="the passed bedside check it started after"
    )
    started_at: dt.datetime
    stopped_at: dt.datetime
    volume_ml: float
    vitals_before: dict[str, Any]
    vitals_after: dict[str, Any]
    premedication: str | None = None
    reactions: list[str] = Field(default_factory=list)
    reaction_notes: str | None = None


@router.get("/subjects/{code}/administrations", response_model=list[AdministrationPublic])
def administrations(code: str, db: Db, actor: ApiActor) -> list[AdministrationPublic]:
    return [
        AdministrationPublic.model_validate(a)
        for a in schedule.administration_schedule(db, actor, code)
    ]


@router.post(
    "/subjects/{code}/administrations/override",
    response_model=list[DeviationPublic],
    status_code=201,
)
def override(
    code: str, body: OverrideRequest, db: Db, actor: ApiActor, settings: Config
) -> list[DeviationPublic]:
    records = schedule.override_schedule(
        db,
        actor,
        code,
        planned_on=body.planned_on,
        reason=body.reason,
        administration_no=body.administration_no,
        settings=settings,
    )
    detail = subject_detail(db, actor, code)
    ids = {(r.kind, r.description) for r in records}
    return [d for d in detail.deviations if (d.kind, d.description) in ids]


@router.post(
    "/subjects/{code}/administrations/{number}/dispense",
    response_model=DispensationUnblinded,
    status_code=201,
)
def dispense(
    code: str, number: Ordinal, body: DispenseRequest, db: Db, actor: ApiActor, settings: Config
) -> DispensationUnblinded:
    """Pharmacist only (unblinded): the response names the kind, lots and cells."""
    d = dispense_administration(
        db,
        actor,
        code,
        number,
        unit_codes=body.unit_codes,
        thawed_at=body.thawed_at,
        settings=settings,
    )
    return _dispensation_public(d, number, voided=False)


def _dispensation_public(d: Any, number: int, *, voided: bool) -> DispensationUnblinded:
    """The pharmacist's (unblinded) view of a dispensation, as made or as voided."""
    return DispensationUnblinded(
        administration_no=number,
        unit_codes=list(d.unit_codes),
        thawed_at=d.thawed_at,
        dispensed_by=d.dispensed_by,
        dispensed_at=d.dispensed_at,
        voided=voided,
        product_kind=d.product_kind,
        lot_codes=list(d.lot_codes),
        cells_total=d.cells_total,
        volume_ml=d.volume_ml,
        max_hold_h=d.max_hold_h,
    )


@router.post(
    "/subjects/{code}/administrations/{number}/dispense/void",
    response_model=DispensationUnblinded,
)
def void_dispensation(
    code: str, number: Ordinal, body: ReasonRequest, db: Db, actor: ApiActor
) -> DispensationUnblinded:
    """Pharmacist only: undo a dispensing error before the infusion (the units are discarded)."""
    d = dispensing.void_dispensation(db, actor, code, number, reason=body.reason)
    return _dispensation_public(d, number, voided=True)


@router.get(
    "/subjects/{code}/administrations/{number}/dispensing-plan",
    response_model=DispensingPlanPublic,
)
def dispensing_plan(
    code: str, number: Ordinal, db: Db, actor: ApiActor, settings: Config
) -> DispensingPlanPublic:
    """Pharmacist only (unblinded): the units and volume to prepare, the units to take."""
    plan = dispensing.plan_dispensing(db, actor, code, number, settings=settings)
    return DispensingPlanPublic(**{**asdict(plan), "proposed": list(plan.proposed)})


@router.post(
    "/subjects/{code}/administrations/{number}/bedside-check",
    response_model=BedsideCheckPublic,
    status_code=201,
)
def bedside_check(
    code: str, number: Ordinal, body: BedsideCheckRequest, db: Db, actor: ApiActor, settings: Config
) -> BedsideCheckPublic:
    """Verify the units at the bedside before the infusion; a refusal is recorded too."""
    check = verify_at_bedside(
        db, actor, code, number, scanned_unit_codes=body.scanned_unit_codes, settings=settings
    )
    return check_public(check, number)


@router.post(
    "/subjects/{code}/administrations/{number}/infusion",
    response_model=InfusionPublic,
    status_code=201,
)
def infusion(
    code: str, number: Ordinal, body: InfusionRequest, db: Db, actor: ApiActor, settings: Config
) -> InfusionPublic:
    i = record_infusion(db, actor, code, number, settings=settings, **body.model_dump())
    return InfusionPublic(
        administration_no=number,
        **{k: getattr(i, k) for k in InfusionPublic.model_fields if k != "administration_no"},
    )


@router.get("/pharmacy", response_model=list[PharmacyTask])
def pharmacy(db: Db, actor: ApiActor) -> list[PharmacyTask]:
    return pharmacy_worklist(db, actor)


def check_public(check: BedsideCheck, number: int) -> BedsideCheckPublic:
    return BedsideCheckPublic(
        id=check.id,
        administration_no=number,
        scanned_unit_codes=list(check.scanned_unit_codes),
        passed=check.passed,
        reasons=list(check.reasons),
        checked_by=check.checked_by,
        checked_at=check.checked_at,
    )
