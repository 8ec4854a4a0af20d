"""Clinical pages for dosing: the pharmacy's work list, dispensing, the bedside check, the infusion.

The pharmacist's pages name cells or placebo and show the computed number of units (the same
in both arms for a weight). The bedside page is two steps, in the order they happen: verify
the scanned units before the infusion, then record the infusion against the passed check.
It shows unit codes, times and reasons only.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from msctrial.clinical.dosing import dispensing
from msctrial.clinical.dosing.bedside import (
    BEDSIDE,
    CHECK_VALID_FOR,
    latest_check,
    verify_at_bedside,
)
from msctrial.clinical.dosing.dispensing import dispense_administration, plan_dispensing
from msctrial.clinical.dosing.infusion import REACTIONS, record_infusion
from msctrial.clinical.dosing.views import pharmacy_worklist
from msctrial.clinical.subjects.access import get_subject
from msctrial.core.actors import Actor
from msctrial.core.db import utcnow
from msctrial.core.errors import MsctrialError
from msctrial.web.deps import Config, CsrfProtected, Db, Ordinal, PageActor
from msctrial.web.layout import render
from msctrial.web.pages.clinical_forms import VITALS, form_number, local_time, zone_of
from msctrial.web.pages.subject_view import subject_page_or_error

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtected])


def _dispense_page(
    request: Request, db: Db, actor: Actor, code: str, number: int, settings: Any, **extra: Any
) -> Response:
    from msctrial.product import service as product

    actor.require("pharmacist", to="dispense")
    status = extra.pop("status", 200)
    task = next(
        (
            t
            for t in pharmacy_worklist(db, actor)
            if t.subject_code == code.upper() and t.administration_no == number
        ),
        None,
    )
    units: list[Any] = []
    plan = None
    if task:
        units = product.available_units(db, actor, kind=task.kind, now=utcnow(), settings=settings)
        try:
            plan = plan_dispensing(db, actor, code, number, settings=settings)
        except MsctrialError as exc:
            db.rollback()
            extra.setdefault("error", exc.message)
            extra.setdefault("field", exc.field)
    return render(
        request,
        "clinical/dispense.html",
        {
            "task": task,
            "plan": plan,
            "units": units,
            "code": code.upper(),
            "number": number,
            **extra,
        },
        actor=actor,
        status=status,
    )


@router.get("/clinical/subjects/{code}/administrations/{number}/dispense")
def dispense_form(
    request: Request, code: str, number: Ordinal, db: Db, actor: PageActor, settings: Config
) -> Response:
    get_subject(db, actor, code)
    return _dispense_page(request, db, actor, code, number, settings)


@router.post("/clinical/subjects/{code}/administrations/{number}/dispense")
async def dispense(
    request: Request, code: str, number: Ordinal, db: Db, actor: PageActor, settings: Config
) -> Response:
    form = await request.form()
    try:
        dispense_administration(
            db,
            actor,
            code,
            number,
            unit_codes=[str(u) for u in form.getlist("unit")],
            thawed_at=local_time(
                str(form.get("thawed_at") or ""), "thawed_at", zone_of(db, actor, code)
            ),  # type: ignore[arg-type]
            settings=settings,
        )
    except MsctrialError as exc:
        db.rollback()
        if exc.status in (401, 403, 404):
            raise
        return _dispense_page(
            request,
            db,
            actor,
            code,
            number,
            settings,
            error=exc.message,
            field=exc.field,
            status=exc.status,
        )
    return RedirectResponse(f"/clinical/subjects/{code.upper()}", status_code=303)


def _infusion_page(
    request: Request, db: Db, actor: Actor, code: str, number: int, **extra: Any
) -> Response:
    subject = get_subject(db, actor, code)
    actor.require(*BEDSIDE, site_id=subject.site_id, to="record infusions")
    status = extra.pop("status", 200)
    check = latest_check(db, subject, number)
    fresh = check is not None and utcnow() - check.checked_at <= CHECK_VALID_FOR
    return render(
        request,
        "clinical/infusion.html",
        {
            "code": subject.subject_code,
            "number": number,
            "check": check,
            "passed": check is not None and check.passed and fresh,
            "vitals": VITALS,
            "reactions": REACTIONS,
            "form": {},
            **extra,
        },
        actor=actor,
        status=status,
    )


@router.get("/clinical/subjects/{code}/administrations/{number}/infusion")
def infusion_form(
    request: Request, code: str, number: Ordinal, db: Db, actor: PageActor
) -> Response:
    return _infusion_page(request, db, actor, code, number)


def _check_id(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


@router.post("/clinical/subjects/{code}/administrations/{number}/bedside-check")
async def bedside_check(
    request: Request, code: str, number: Ordinal, db: Db, actor: PageActor, settings: Config
) -> Response:
    form = await request.form()
    scanned = str(form.get("scanned") or "").replace(",", "\n").split()
    try:
        verify_at_bedside(db, actor, code, number, scanned_unit_codes=scanned, settings=settings)
    except MsctrialError as exc:
        db.rollback()
        if exc.status in (401, 403, 404):
            raise
        return _infusion_page(
            request, db, actor, code, number, error=exc.message, field=exc.field, status=exc.status
        )
    # Passed or refused, the check is recorded; the page shows which (POST-redirect-GET).
    return RedirectResponse(
        f"/clinical/subjects/{code.upper()}/administrations/{number}/infusion", status_code=303
    )


@router.post("/clinical/subjects/{code}/administrations/{number}/infusion")
async def infusion(
    request: Request, code: str, number: Ordinal, db: Db, actor: PageActor, settings: Config
) -> Response:
    form = await request.form()
    try:
        zone = zone_of(db, actor, code)
        record_infusion(
            db,
            actor,
            code,
            number,
            bedside_check_id=_check_id(form.get("bedside_check_id")),
            started_at=local_time(str(form.get("started_at") or ""), "started_at", zone),  # type: ignore[arg-type]
            stopped_at=local_time(str(form.get("stopped_at") or ""), "stopped_at", zone),  # type: ignore[arg-type]
            volume_ml=form_number(form, "volume_ml"),  # type: ignore[arg-type]
            vitals_before={v: form_number(form, f"before_{v}") for v in VITALS},
            vitals_after={v: form_number(form, f"after_{v}") for v in VITALS},
            premedication=str(form.get("premedication") or ""),
            reactions=[str(r) for r in form.getlist("reaction")],
            reaction_notes=str(form.get("reaction_notes") or ""),
            settings=settings,
        )
    except MsctrialError as exc:
        db.rollback()
        if exc.status in (401, 403, 404):
            raise
        return _infusion_page(
            request,
            db,
            actor,
            code,
            number,
            error=exc.message,
            field=exc.field,
            form=dict(form),
            status=exc.status,
        )
    return RedirectResponse(f"/clinical/subjects/{code.upper()}", status_code=303)


@router.get("/clinical/pharmacy")
def pharmacy(request: Request, db: Db, actor: PageActor) -> Response:
    return render(
        request,
        "clinical/pharmacy.html",
        {"tasks": pharmacy_worklist(db, actor)},
        actor=actor,
    )


@router.post("/clinical/subjects/{code}/administrations/{number}/dispense/void")
async def void_dispensation(
    request: Request, code: str, number: Ordinal, db: Db, actor: PageActor
) -> Response:
    form = await request.form()
    reason = str(form.get("reason") or "")
    return subject_page_or_error(
        request,
        db,
        actor,
        code,
        lambda: dispensing.void_dispensation(db, actor, code, number, reason=reason),
    )
