"""Randomising and breaking the blind: signed acts, each behind a page that says what it will do.

Each act is a GET page (the preview: strata, or who learns the arm), a POST signed with the
user's password, and a redirect (POST-redirect-GET), so a reload never acts twice; the form
carries a fresh idempotency key, so a double click does not either.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from msctrial.clinical.randomisation import service as randomisation
from msctrial.clinical.randomisation.unblinding import (
    UNBLINDING_TOLD,
    emergency_unblind,
    unblinding_result,
)
from msctrial.clinical.subjects.access import get_subject
from msctrial.core.errors import MsctrialError
from msctrial.web.deps import CsrfProtected, Db, PageActor, RecordId
from msctrial.web.layout import render

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtected])


def _subject_url(code: str) -> str:
    return f"/clinical/subjects/{code.strip().upper()}"


@router.get("/clinical/subjects/{code}/randomise")
def randomise_confirm(request: Request, code: str, db: Db, actor: PageActor) -> Response:
    """The strata this subject will be randomised in, and who will learn the arm."""
    try:
        preview = randomisation.randomisation_preview(db, actor, code)
    except MsctrialError as exc:
        db.rollback()
        if exc.status in (401, 403, 404):
            raise
        return RedirectResponse(_subject_url(code), status_code=303)
    return render(
        request,
        "clinical/randomise_confirm.html",
        {"p": preview, "request_key": uuid.uuid4().hex},
        actor=actor,
    )


@router.post("/clinical/subjects/{code}/randomise")
def randomise_subject(
    request: Request,
    code: str,
    db: Db,
    actor: PageActor,
    password: Annotated[str, Form()] = "",
    request_key: Annotated[str, Form()] = "",
) -> Response:
    try:
        randomisation.randomise_subject(
            db, actor, code, password=password, request_key=request_key or None
        )
    except MsctrialError as exc:
        db.rollback()
        if exc.status in (403, 404):
            raise
        try:
            preview = randomisation.randomisation_preview(db, actor, code)
        except MsctrialError:
            db.rollback()
            return RedirectResponse(_subject_url(code), status_code=303)
        return render(
            request,
            "clinical/randomise_confirm.html",
            {"p": preview, "request_key": request_key, "error": exc.message, "field": exc.field},
            actor=actor,
            status=exc.status,
        )
    return RedirectResponse(_subject_url(code), status_code=303)


@router.get("/clinical/subjects/{code}/unblind")
def unblind_confirm(request: Request, code: str, db: Db, actor: PageActor) -> Response:
    """What breaking the blind does, before the investigator signs it."""
    subject = get_subject(db, actor, code)
    actor.require("investigator", site_id=subject.site_id, to="break the blind")
    return render(
        request,
        "clinical/unblind_confirm.html",
        {"code": subject.subject_code, "told": UNBLINDING_TOLD, "request_key": uuid.uuid4().hex},
        actor=actor,
    )


@router.post("/clinical/subjects/{code}/unblind")
def unblind(
    request: Request,
    code: str,
    db: Db,
    actor: PageActor,
    reason: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    request_key: Annotated[str, Form()] = "",
) -> Response:
    try:
        result = emergency_unblind(
            db, actor, code, reason, password=password, request_key=request_key or None
        )
    except MsctrialError as exc:
        db.rollback()
        if exc.status in (403, 404):
            raise
        return render(
            request,
            "clinical/unblind_confirm.html",
            {
                "code": code.strip().upper(),
                "told": UNBLINDING_TOLD,
                "request_key": request_key,
                "reason": reason,
                "error": exc.message,
                "field": exc.field,
            },
            actor=actor,
            status=exc.status,
        )
    return RedirectResponse(f"{_subject_url(code)}/unblindings/{result.id}", status_code=303)


@router.get("/clinical/subjects/{code}/unblindings/{unblinding_id}")
def unblinding_page(
    request: Request, code: str, unblinding_id: RecordId, db: Db, actor: PageActor
) -> Response:
    """The revealed arm, for the investigator who broke the blind (nobody else)."""
    result = unblinding_result(db, actor, code, unblinding_id)
    return render(request, "clinical/unblinded.html", {"u": result}, actor=actor)
