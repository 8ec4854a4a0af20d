"""Adverse-event pages: the list with the report clocks, reporting and correcting an event,
filing an expedited report, and the expected-reaction check after an infusion.

The routes call the same services as ``web/api/visits.py``. The helpers read the HTML forms
into what the services take; the services validate (``AdverseEventInput``,
``ReactionCheckInput``) and name the field that is wrong. Date-times typed on a form are the
ward's clock (the site's zone).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from msctrial.clinical.casebook.service import infusion_label
from msctrial.clinical.casebook.worklist_ward import form_label
from msctrial.clinical.safety import rules
from msctrial.clinical.safety import service as safety
from msctrial.clinical.safety import views as safety_views
from msctrial.clinical.safety.schemas import AdverseEventPublic
from msctrial.clinical.subjects.access import MONITOR_ROLES, SITE_STAFF, get_subject, site_by_id
from msctrial.core.actors import Actor
from msctrial.core.errors import MsctrialError
from msctrial.web.deps import CsrfProtected, Db, PageActor, RecordId
from msctrial.web.layout import render
from msctrial.web.pages.clinical_forms import local_time
from msctrial.web.paging import PageNumber, Paging

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtected])


def see_other(path: str) -> Response:
    """After a successful form post: go to the page that shows the result."""
    return RedirectResponse(path, status_code=303)


def refusal(exc: MsctrialError) -> dict[str, Any]:
    """A refused form's message, field and problems, for the page that shows the form again."""
    problems = exc.details.get("problems") if exc.details else None
    return {"error": exc.message, "field": exc.field, "problems": problems or []}


def form_labels(names: list[str]) -> dict[str, str]:
    """Each form's name as the form itself gives it ("Vital signs", not ``vital_signs``)."""
    return {name: form_label(name) for name in names}


def can_enter(actor: Actor, site_id: int) -> bool:
    return actor.has_role(*SITE_STAFF, site_id=site_id)


SERIOUS_CHOICES = [s.value for s in rules.Seriousness if s is not rules.Seriousness.death]


def _text(data: FormData, name: str) -> str | None:
    value = str(data.get(name) or "").strip()
    return value or None


def ae_input(data: FormData, zone: str | None) -> dict[str, Any]:
    """An adverse event from its form; blanks are left out so the model's defaults apply."""
    out: dict[str, Any] = {
        "term": _text(data, "term") or "",
        "description": _text(data, "description"),
        "onset_date": _text(data, "onset_date"),
        "end_date": _text(data, "end_date"),
        "grade": _text(data, "grade"),
        "seriousness": [str(v) for v in data.getlist("seriousness")],
        "relationship_product": _text(data, "relationship_product"),
        "relationship_infusion": _text(data, "relationship_infusion"),
        "expectedness": _text(data, "expectedness"),
        "action_taken": _text(data, "action_taken"),
        "outcome": _text(data, "outcome"),
        "awareness_at": local_time(_text(data, "awareness_at"), "awareness_at", zone),
    }
    return {k: v for k, v in out.items() if v is not None}


def reaction_input(data: FormData) -> dict[str, Any]:
    """The four expected-reaction questions, their grades and seriousness."""
    out: dict[str, Any] = {k: data.get(k) == "yes" for k in rules.REACTION_KEYS}
    temp = _text(data, "max_temperature_c")
    if temp is not None:
        out["max_temperature_c"] = temp
    hours = _text(data, "hours_above_40")
    if hours is not None:
        out["hours_above_40"] = hours
    out["grades"] = {
        k: _text(data, f"grade_{k}")
        for k in rules.REACTION_KEYS
        if k != "fever" and _text(data, f"grade_{k}")
    }
    out["serious"] = {
        k: [_text(data, f"serious_{k}")] for k in rules.REACTION_KEYS if _text(data, f"serious_{k}")
    }
    if _text(data, "relationship"):
        out["relationship"] = _text(data, "relationship")
    if _text(data, "notes"):
        out["notes"] = _text(data, "notes")
    return out


def ae_context(code: str, ae: AdverseEventPublic | None, **extra: Any) -> dict[str, Any]:
    """The choices of the adverse-event form, and the event (or what was typed) to fill it."""
    typed = dict(extra.pop("typed", {}) or {})
    if ae is not None and not typed:
        typed = ae.model_dump(mode="json")
    return {
        "code": code,
        "ae": ae,
        "typed": typed,
        "grades": rules.GRADE_MEANING,
        "seriousness": [s.value for s in rules.Seriousness],
        "relationships": [r.value for r in rules.Relationship],
        "expectedness": [e.value for e in rules.Expectedness],
        "actions": [a.value for a in rules.ActionTaken],
        "outcomes": [o.value for o in rules.Outcome],
        "reactions": rules.EXPECTED_REACTIONS,
        "serious_choices": SERIOUS_CHOICES,
        **extra,
    }


# --- routes ----------------------------------------------------------------------------------


@router.get("/adverse-events")
def ae_list(request: Request, db: Db, actor: PageActor, page: PageNumber = 1) -> Response:
    paging = Paging.of(page, safety_views.count_aes(db, actor))
    return render(
        request,
        "visits/adverse_events.html",
        {
            "events": safety_views.list_aes(db, actor, offset=paging.offset, limit=paging.size),
            "paging": paging,
            "reports": safety_views.list_sae_reports(db, actor, state="pending"),
            "summary": safety_views.ae_summary(db, actor),
        },
        actor=actor,
    )


@router.get("/casebook/{code}/adverse-events/new")
def new_ae(request: Request, code: str, db: Db, actor: PageActor) -> Response:
    subject = get_subject(db, actor, code)
    # A read-only role (monitor, statistician) is not offered a form it cannot save.
    actor.require(*SITE_STAFF, site_id=subject.site_id, to="report adverse events")
    return render(
        request, "visits/ae_form.html", ae_context(subject.subject_code, None), actor=actor
    )


@router.post("/casebook/{code}/adverse-events/new")
async def post_ae(request: Request, code: str, db: Db, actor: PageActor) -> Response:
    data = await request.form()
    try:
        ae = safety.report_ae(db, actor, code, ae_input(data, _zone(db, actor, code)))
    except MsctrialError as exc:
        if exc.status >= 500 or exc.status in (401, 403, 404):
            raise
        db.rollback()
        ctx = ae_context(code.upper(), None, typed=dict(data), **refusal(exc))
        return render(request, "visits/ae_form.html", ctx, actor=actor, status=422)
    return see_other(f"/adverse-events/{ae.id}")


@router.get("/adverse-events/{ae_id}")
def ae_page(request: Request, ae_id: RecordId, db: Db, actor: PageActor) -> Response:
    ae = safety_views.get_ae(db, actor, ae_id)
    subject = get_subject(db, actor, ae.subject)
    ctx = ae_context(ae.subject, ae)
    ctx.update(
        infusion_label=infusion_label(db, ae.infusion_id) if ae.infusion_id else None,
        can_enter=can_enter(actor, subject.site_id) and not ae.voided,
        is_monitor=actor.has_role(*MONITOR_ROLES),
        is_safety=actor.has_role("safety"),
        can_file={
            r.id
            for r in ae.reports
            if actor.has_role(
                *rules.REPORT_FILERS[rules.ReportKind(r.kind)], site_id=subject.site_id
            )
        },
    )
    return render(request, "visits/ae.html", ctx, actor=actor)


@router.post("/adverse-events/{ae_id}/change")
async def change_ae(request: Request, ae_id: RecordId, db: Db, actor: PageActor) -> Response:
    data = await request.form()
    ae = safety_views.get_ae(db, actor, ae_id)
    data_in = ae_input(data, _zone(db, actor, ae.subject))
    safety.update_ae(db, actor, ae_id, data_in, str(data.get("reason") or ""))
    return see_other(f"/adverse-events/{ae_id}")


@router.post("/adverse-events/{ae_id}/void")
def void_ae(
    request: Request,
    ae_id: RecordId,
    db: Db,
    actor: PageActor,
    reason: Annotated[str, Form()] = "",
) -> Response:
    safety.void_ae(db, actor, ae_id, reason)
    return see_other(f"/adverse-events/{ae_id}")


@router.post("/sae-reports/{report_id}/submit")
def submit_report(
    request: Request,
    report_id: RecordId,
    db: Db,
    actor: PageActor,
    reference: Annotated[str, Form()] = "",
) -> Response:
    report = safety.submit_report(db, actor, report_id, reference=reference)
    return see_other(f"/adverse-events/{report.ae_id}")


def _zone(db: Db, actor: Actor, code: str) -> str:
    """The subject's site time zone: date-times typed on a form are the ward's clock."""
    return site_by_id(db, get_subject(db, actor, code).site_id).timezone


@router.get("/infusions/{infusion_id}/reactions")
def reaction_page(request: Request, infusion_id: RecordId, db: Db, actor: PageActor) -> Response:
    safety.infusion_to_check(db, actor, infusion_id)
    return render(
        request,
        "visits/reaction_check.html",
        {"infusion_id": infusion_id, "label": infusion_label(db, infusion_id), "typed": {}},
        actor=actor,
    )


@router.post("/infusions/{infusion_id}/reactions")
async def post_reactions(
    request: Request, infusion_id: RecordId, db: Db, actor: PageActor
) -> Response:
    data = await request.form()
    try:
        events = safety.record_reaction_check(db, actor, infusion_id, reaction_input(data))
    except MsctrialError as exc:
        if exc.status >= 500 or exc.status in (401, 403, 404):
            raise
        db.rollback()
        ctx = {
            "infusion_id": infusion_id,
            "label": infusion_label(db, infusion_id),
            "typed": dict(data),
            **refusal(exc),
        }
        return render(request, "visits/reaction_check.html", ctx, actor=actor, status=422)
    if events:
        return see_other(f"/clinical/subjects/{events[0].subject}#adverse-events")
    return see_other("/adverse-events")
