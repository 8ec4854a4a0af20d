"""Clinical pages: subjects, screening, consent, schedule overrides, unblinding list.

Randomising and breaking the blind, the signed acts, are in ``signed_acts``.

Each page calls the same service as its API route. A form whose input is refused is shown
again with the message and the field, never half-saved. Date-time fields of a form are read
in the site's time zone (what the clock on the ward shows) and stored in UTC.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from msctrial.clinical.casebook import record
from msctrial.clinical.dosing import schedule
from msctrial.clinical.randomisation.views import unblinding_list
from msctrial.clinical.subjects.access import SITE_STAFF, count_subjects
from msctrial.clinical.subjects.consent import record_consent
from msctrial.clinical.subjects.screening import (
    prescreen_patient,
    record_screen_failure,
    screen_subject,
)
from msctrial.clinical.subjects.severity import FIELDS, OxygenSupport
from msctrial.core.actors import Actor
from msctrial.core.errors import InvalidInput, MsctrialError
from msctrial.core.sites import list_sites
from msctrial.protocol.service import get_protocol, only_trial
from msctrial.web.deps import Config, CsrfProtected, Db, PageActor
from msctrial.web.layout import render
from msctrial.web.pages.clinical_forms import form_number, local_time, zone_of
from msctrial.web.pages.subject_view import subject_page_or_error, subject_page_with
from msctrial.web.paging import PageNumber, Paging

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtected])
NUMBER_FIELDS = (
    "respiratory_rate",
    "spo2_rest_pct",
    "pao2_mmhg",
    "fio2",
    "lesion_progression_pct_48h",
    "peep_cmh2o",
)
FLAG_FIELDS = (
    "pneumonia_on_imaging",
    "mechanical_ventilation",
    "shock",
    "organ_failure_icu",
    "clinician_progressing",
    "vasopressors",
    "dialysis_or_ecmo",
)


def _answers(form: FormData, prefix: str, texts: list[str]) -> dict[str, bool]:
    out = {}
    for i, text in enumerate(texts):
        value = form.get(f"{prefix}_{i}")
        if value in ("yes", "no"):
            out[text] = value == "yes"
    return out


def _observations(form: FormData) -> dict[str, Any]:
    obs: dict[str, Any] = {}
    for name in NUMBER_FIELDS:
        value = form_number(form, name)
        if value is not None:
            obs[name] = value
    for name in FLAG_FIELDS:
        flag = form.get(name)
        if flag in ("yes", "no"):
            obs[name] = flag == "yes"
    if form.get("oxygen_support"):
        obs["oxygen_support"] = form.get("oxygen_support")
    assert set(obs) <= set(FIELDS)
    return obs


def _protocol(db: Db) -> Any:
    return get_protocol(db, only_trial(db).code).protocol


def _screen_context(db: Db, actor: Actor, **extra: Any) -> dict[str, Any]:
    protocol = _protocol(db)
    sites = [s for s in list_sites(db) if actor.has_role(*SITE_STAFF, site_id=s.id)]
    return {
        "eligibility": protocol.eligibility,
        "sites": sites,
        "number_fields": NUMBER_FIELDS,
        "flag_fields": FLAG_FIELDS,
        "oxygen": list(OxygenSupport),
        "form": {},
        **extra,
    }


@router.get("/clinical")
def subject_list(
    request: Request,
    db: Db,
    actor: PageActor,
    site: str | None = None,
    status: str | None = None,
    page: PageNumber = 1,
) -> Response:
    filters: dict[str, Any] = {"site_code": site or None, "status": status or None}
    paging = Paging.of(page, count_subjects(db, actor, **filters))
    rows = record.subject_list(db, actor, offset=paging.offset, limit=paging.size, **filters)
    return render(
        request,
        "clinical/list.html",
        {
            "rows": rows,
            "paging": paging,
            "site": site or "",
            "status": status or "",
            "can_screen": actor.has_role(*SITE_STAFF),
        },
        actor=actor,
    )


@router.get("/clinical/screen")
def prescreen_form(request: Request, db: Db, actor: PageActor) -> Response:
    actor.require(*SITE_STAFF, to="enter patients on the screening log")
    return render(request, "clinical/prescreen.html", _screen_context(db, actor), actor=actor)


@router.post("/clinical/screen")
def prescreen(
    request: Request,
    db: Db,
    actor: PageActor,
    site: Annotated[str, Form()] = "",
    prescreened_on: Annotated[str, Form()] = "",
) -> Response:
    try:
        try:
            day = dt.date.fromisoformat(prescreened_on) if prescreened_on.strip() else None
        except ValueError:
            raise InvalidInput(
                "prescreened_on: give a date, e.g. 2026-03-10", field="prescreened_on"
            ) from None
        subject = prescreen_patient(db, actor, site, prescreened_on=day)
    except MsctrialError as exc:
        db.rollback()
        if exc.status in (401, 403):
            raise
        form = {"site": site, "prescreened_on": prescreened_on}
        ctx = _screen_context(db, actor, error=exc.message, field=exc.field, form=form)
        return render(request, "clinical/prescreen.html", ctx, actor=actor, status=exc.status)
    return RedirectResponse(f"/clinical/subjects/{subject.subject_code}", status_code=303)


def _screening_page(
    request: Request, db: Db, actor: Actor, code: str, status: int = 200, **extra: Any
) -> Response:
    subject = record.subject_detail(db, actor, code).subject
    first = subject.year_of_birth is None
    ctx = _screen_context(db, actor, subject=subject, first=first, **extra)
    return render(request, "clinical/screen.html", ctx, actor=actor, status=status)


@router.get("/clinical/subjects/{code}/screen")
def screen_form(request: Request, code: str, db: Db, actor: PageActor) -> Response:
    actor.require(*SITE_STAFF, to="screen patients")
    return _screening_page(request, db, actor, code)


@router.post("/clinical/subjects/{code}/screen")
async def screen(request: Request, code: str, db: Db, actor: PageActor) -> Response:
    form = await request.form()
    protocol = _protocol(db)
    try:
        tz = zone_of(db, actor, code)
        yob = form_number(form, "year_of_birth")
        out = screen_subject(
            db,
            actor,
            subject_code_text=code,
            year_of_birth=int(yob) if yob is not None else None,
            sex=str(form.get("sex") or "") or None,
            weight_kg=form_number(form, "weight_kg"),
            observations=_observations(form),
            inclusion_met=_answers(form, "inc", protocol.eligibility.inclusion),
            exclusion_present=_answers(form, "exc", protocol.eligibility.exclusion),
            observed_at=local_time(str(form.get("observed_at") or ""), "observed_at", tz),
        )
    except MsctrialError as exc:
        db.rollback()
        if exc.status in (401, 403, 404):
            raise
        extra = {"error": exc.message, "field": exc.field, "form": dict(form)}
        return _screening_page(request, db, actor, code, status=exc.status, **extra)
    return RedirectResponse(f"/clinical/subjects/{out.subject.subject_code}", status_code=303)


@router.get("/clinical/subjects/{code}")
def subject_page(request: Request, code: str, db: Db, actor: PageActor) -> Response:
    return subject_page_with(request, db, actor, code)


@router.post("/clinical/subjects/{code}/consent")
def consent(
    request: Request,
    code: str,
    db: Db,
    actor: PageActor,
    form_version: Annotated[str, Form()] = "",
    consented_at: Annotated[str, Form()] = "",
    taken_by: Annotated[str, Form()] = "",
    signer: Annotated[str, Form()] = "subject",
    representative_name: Annotated[str, Form()] = "",
    representative_relationship: Annotated[str, Form()] = "",
) -> Response:
    return subject_page_or_error(
        request,
        db,
        actor,
        code,
        lambda: record_consent(
            db,
            actor,
            code,
            form_version=form_version,
            consented_at=local_time(consented_at, "consented_at", zone_of(db, actor, code)),
            taken_by=taken_by,
            signer=signer,
            representative_name=representative_name,
            representative_relationship=representative_relationship,
        ),
    )


@router.post("/clinical/subjects/{code}/screen-failure")
def screen_failure(
    request: Request,
    code: str,
    db: Db,
    actor: PageActor,
    reason: Annotated[str, Form()] = "",
) -> Response:
    return subject_page_or_error(
        request, db, actor, code, lambda: record_screen_failure(db, actor, code, reason)
    )


@router.post("/clinical/subjects/{code}/override")
def override(
    request: Request,
    code: str,
    db: Db,
    actor: PageActor,
    settings: Config,
    planned_on: Annotated[str, Form()] = "",
    administration_no: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:

    def action() -> None:
        try:
            day = dt.date.fromisoformat(planned_on)
        except ValueError:
            raise InvalidInput(
                "planned_on: give a date, e.g. 2026-03-10", field="planned_on"
            ) from None
        number = int(administration_no) if administration_no.strip().isdigit() else None
        schedule.override_schedule(
            db,
            actor,
            code,
            planned_on=day,
            reason=reason,
            administration_no=number,
            settings=settings,
        )

    return subject_page_or_error(request, db, actor, code, action)


@router.get("/clinical/unblindings")
def unblindings(request: Request, db: Db, actor: PageActor) -> Response:
    return render(
        request,
        "clinical/unblindings.html",
        {"rows": unblinding_list(db, actor)},
        actor=actor,
    )


# Dispensing, the bedside and the pharmacy's list: a module of their own, on this router.
