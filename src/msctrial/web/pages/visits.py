"""Visit pages: the trial matrix and overdue list, the casebook, form entry and correction,
queries, adverse events with their report clocks, the post-infusion reaction check.

Each page calls the same service as its API route (``web/api/visits.py``). A refused form is
shown again with the message and what was typed, never half-saved.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from msctrial.clinical.casebook import service as casebook
from msctrial.clinical.data_queries import service as queries
from msctrial.clinical.subjects import exit as study_exit
from msctrial.clinical.subjects.access import (
    MONITOR_ROLES,
    SITE_STAFF,
    get_subject,
    local_today,
    protocol_of,
)
from msctrial.clinical.visits import service as visits
from msctrial.clinical.visits.entries import get_entry
from msctrial.clinical.visits.forms import ItemKind, get_form
from msctrial.clinical.visits.windows import visit_by_key
from msctrial.core.actors import Actor
from msctrial.core.db import utcnow
from msctrial.core.errors import InvalidInput, MsctrialError, NotFound
from msctrial.core.sites import list_sites
from msctrial.web.deps import CsrfProtected, Db, PageActor, RecordId
from msctrial.web.layout import render
from msctrial.web.page_cache import cached
from msctrial.web.pages.visits_safety import can_enter, refusal, see_other
from msctrial.web.paging import PageNumber, Paging

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtected])
# The adverse-event pages share this router.


# --- overview and casebook -------------------------------------------------------------------


@router.get("/visits")
def overview(
    request: Request, db: Db, actor: PageActor, site: str | None = None, page: PageNumber = 1
) -> Response:
    site_code = site or None
    paging = Paging.of(page, casebook.matrix_size(db, actor, site_code=site_code))
    overdue = cached(
        request,
        db,
        actor,
        "overdue",
        lambda: casebook.missing_and_overdue(db, actor, site_code=site_code),
        site_code,
    )
    return render(
        request,
        "visits/overview.html",
        {
            "overdue": overdue,
            "matrix": casebook.trial_matrix(
                db, actor, site_code=site_code, offset=paging.offset, limit=paging.size
            ),
            "paging": paging,
            "sites": list_sites(db),
            "site": site or "",
        },
        actor=actor,
    )


@router.get("/casebook/{code}")
def casebook_page(code: str) -> Response:
    """The casebook is part of the subject's record home now; old links land on its visits."""
    return see_other(f"/clinical/subjects/{quote(code, safe='')}#visits")


@router.post("/casebook/{code}/visits/{key}/not-done")
def not_done(
    code: str,
    key: str,
    request: Request,
    db: Db,
    actor: PageActor,
    reason: Annotated[str, Form()] = "",
) -> Response:
    visits.mark_visit_not_done(db, actor, code, key, reason)
    return see_other(f"/clinical/subjects/{code}#visits")


@router.post("/casebook/{code}/exit")
async def record_exit(code: str, request: Request, db: Db, actor: PageActor) -> Response:
    form = await request.form()
    day = _date(form, "exit_date")
    study_exit.record_exit(
        db, actor, code, str(form.get("kind") or ""), day, str(form.get("reason") or "")
    )
    return see_other(f"/clinical/subjects/{code}#exit")


def _date(form: FormData, name: str) -> dt.date:
    raw = str(form.get(name) or "").strip()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{name}: {raw!r} is not a date; write YYYY-MM-DD", field=name) from None


# --- form entry ------------------------------------------------------------------------------


def form_values(form_name: str, data: FormData, *, keep_blank: bool = False) -> dict[str, Any]:
    """The items of a posted HTML form as the service reads them: numbers with their unit."""
    out: dict[str, Any] = {}
    for item in get_form(form_name).entered_items:
        raw = str(data.get(item.name) or "").strip()
        if not raw:
            if keep_blank:
                out[item.name] = None
            continue
        if item.kind is ItemKind.number:
            out[item.name] = {
                "value": raw,
                "unit": str(data.get(f"{item.name}__unit") or item.unit),
            }
        else:
            out[item.name] = raw
    return out


def _entry_page(
    request: Request, db: Db, actor: PageActor, code: str, key: str, form: str, **extra: Any
) -> Response:
    subject = get_subject(db, actor, code)
    # A read-only role (monitor, statistician) is not offered a form it cannot save.
    actor.require(*SITE_STAFF, site_id=subject.site_id, to="enter forms")
    visit = visit_by_key(protocol_of(db, subject).visits, key)
    if visit is None:
        raise NotFound(f"visit: no visit {key!r} in the protocol", field="visit")
    ctx = {
        "code": subject.subject_code,
        "visit": visit,
        "key": key,
        "form": get_form(form),
        "typed": {},
        "visit_date": _suggested_date(db, subject, visit).isoformat(),
        **extra,
    }
    return render(
        request,
        "visits/entry_form.html",
        ctx,
        actor=actor,
        status=422 if extra.get("error") else 200,
    )


def _suggested_date(db: Db, subject: Any, visit: Any) -> dt.date:
    """The visit's target day when it has come, else today: the date most forms carry."""
    today = local_today(db, subject, utcnow())
    if subject.day0_date is None:
        return today
    return min(today, subject.day0_date + dt.timedelta(days=max(visit.day, 0)))


@router.get("/casebook/{code}/visits/{key}/forms/{form}")
def new_entry(
    request: Request, code: str, key: str, form: str, db: Db, actor: PageActor
) -> Response:
    return _entry_page(request, db, actor, code, key, form)


@router.post("/casebook/{code}/visits/{key}/forms/{form}")
async def post_entry(
    request: Request, code: str, key: str, form: str, db: Db, actor: PageActor
) -> Response:
    data = await request.form()
    try:
        entry = visits.enter_form(
            db,
            actor,
            code,
            key,
            form,
            form_values(form, data),
            visit_date=_date(data, "visit_date"),
        )
    except (InvalidInput, MsctrialError) as exc:
        if exc.status >= 500 or exc.status in (401, 403, 404):
            raise
        db.rollback()
        return _entry_page(
            request,
            db,
            actor,
            code,
            key,
            form,
            typed=dict(data),
            visit_date=str(data.get("visit_date") or ""),
            **refusal(exc),
        )
    return see_other(f"/entries/{entry.id}")


@router.get("/entries/{entry_id}")
def entry_page(request: Request, entry_id: RecordId, db: Db, actor: PageActor) -> Response:
    return _render_entry(request, entry_id, db, actor)


def _render_entry(request: Request, entry_id: int, db: Db, actor: Actor, **extra: Any) -> Response:
    entry = get_entry(db, actor, entry_id)
    subject = get_subject(db, actor, entry.subject)
    return render(
        request,
        "visits/entry.html",
        {
            "entry": entry,
            "form": get_form(entry.form),
            "queries": [
                q
                for q in queries.list_queries(db, actor, subject_code=entry.subject)
                if q.entry_id == entry.id
            ],
            "can_enter": can_enter(actor, subject.site_id) and not entry.voided,
            "is_monitor": actor.has_role(*MONITOR_ROLES),
            "typed": extra.get("typed", {}),
            **{k: v for k, v in extra.items() if k != "typed"},
        },
        actor=actor,
        status=422 if extra.get("error") else 200,
    )


@router.post("/entries/{entry_id}/change")
async def change_entry(request: Request, entry_id: RecordId, db: Db, actor: PageActor) -> Response:
    data = await request.form()
    entry = get_entry(db, actor, entry_id)
    current = {v.item: v for v in entry.values}
    posted = form_values(entry.form, data, keep_blank=True)
    changes = {k: v for k, v in posted.items() if _differs(current.get(k), v)}
    try:
        visits.change_form(db, actor, entry_id, changes, str(data.get("reason") or ""))
    except MsctrialError as exc:
        if exc.status >= 500 or exc.status in (401, 403, 404):
            raise
        db.rollback()
        return _render_entry(request, entry_id, db, actor, typed=dict(data), **refusal(exc))
    return see_other(f"/entries/{entry_id}")


def _differs(stored: Any, posted: Any) -> bool:
    if stored is None:
        return posted is not None
    if posted is None:
        return True
    if isinstance(posted, dict):
        try:
            return float(posted["value"]) != stored.entered or posted["unit"] != stored.entered_unit
        except ValueError:
            return True
    return posted != stored.text


@router.post("/entries/{entry_id}/void")
def void_entry(
    request: Request,
    entry_id: RecordId,
    db: Db,
    actor: PageActor,
    reason: Annotated[str, Form()] = "",
) -> Response:
    visits.void_form(db, actor, entry_id, reason)
    return see_other(f"/entries/{entry_id}")


# --- queries ---------------------------------------------------------------------------------


@router.get("/queries")
def query_list(request: Request, db: Db, actor: PageActor, status: str | None = "open") -> Response:
    return render(
        request,
        "visits/queries.html",
        {"queries": queries.list_queries(db, actor, status=status or None), "status": status or ""},
        actor=actor,
    )


@router.post("/queries")
async def raise_query(request: Request, db: Db, actor: PageActor) -> Response:
    data = await request.form()
    entry_id = str(data.get("entry_id") or "").strip()
    ae_id = str(data.get("ae_id") or "").strip()
    q = queries.raise_query(
        db,
        actor,
        subject_code=str(data.get("subject") or ""),
        text=str(data.get("text") or ""),
        entry_id=int(entry_id) if entry_id.isdigit() else None,
        item=str(data.get("item") or "").strip() or None,
        ae_id=int(ae_id) if ae_id.isdigit() else None,
    )
    return see_other(f"/queries/{q.id}")


@router.get("/queries/{query_id}")
def query_page(request: Request, query_id: RecordId, db: Db, actor: PageActor) -> Response:
    q = queries.get_query(db, actor, query_id)
    subject = get_subject(db, actor, q.subject)
    return render(
        request,
        "visits/query.html",
        {
            "q": q,
            "can_answer": can_enter(actor, subject.site_id),
            "is_monitor": actor.has_role(*MONITOR_ROLES),
        },
        actor=actor,
    )


@router.post("/queries/{query_id}/{step}")
async def query_step(
    request: Request, query_id: RecordId, step: str, db: Db, actor: PageActor
) -> Response:
    data = await request.form()
    text = str(data.get("text") or "")
    if step == "answer":
        queries.answer_query(db, actor, query_id, text)
    elif step == "close":
        queries.close_query(db, actor, query_id, text)
    elif step == "reopen":
        queries.reopen_query(db, actor, query_id, text)
    else:
        raise NotFound(f"step: {step!r} is not answer, close or reopen", field="step")
    return see_other(f"/queries/{query_id}")
