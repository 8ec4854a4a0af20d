"""Pages of the sponsor's assessment of suspected SUSARs (issue 9, hole 6).

``/safety/susars`` lists the cases for every reader of the events; a case's page is the safety
officer's: before the unblinding it says who will be told what and asks for the password
(a signed act, POST-redirect-GET with an idempotency key, like an emergency unblinding); after
it, the arm, the conclusion and the regulatory clocks.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from msctrial.clinical.safety import susar
from msctrial.core.errors import MsctrialError
from msctrial.web.deps import CsrfProtected, Db, PageActor, RecordId
from msctrial.web.layout import render

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtected])


@router.get("/safety/susars")
def susar_list(request: Request, db: Db, actor: PageActor) -> Response:
    return render(
        request,
        "safety/susars.html",
        {"cases": susar.list_assessments(db, actor), "is_safety": actor.has_role(susar.SAFETY)},
        actor=actor,
    )


def _case_page(
    request: Request, db: Db, actor: PageActor, ae_id: int, status: int = 200, **extra: Any
) -> Response:
    case = susar.susar_case(db, actor, ae_id)
    ctx = {"case": case, "request_key": uuid.uuid4().hex, **extra}
    return render(request, "safety/case.html", ctx, actor=actor, status=status)


@router.get("/safety/susars/{ae_id}")
def case_page(request: Request, ae_id: RecordId, db: Db, actor: PageActor) -> Response:
    return _case_page(request, db, actor, ae_id)


@router.post("/safety/susars/{ae_id}/assess")
def assess(
    request: Request,
    ae_id: RecordId,
    db: Db,
    actor: PageActor,
    reason: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    request_key: Annotated[str, Form()] = "",
) -> Response:
    try:
        susar.assess_susar(
            db, actor, ae_id, reason, password=password, request_key=request_key or None
        )
    except MsctrialError as exc:
        db.rollback()
        if exc.status in (403, 404) or exc.status >= 500:
            raise  # a wrong password (401) is shown on the form, as for an emergency unblinding
        return _case_page(
            request,
            db,
            actor,
            ae_id,
            status=exc.status,
            error=exc.message,
            field=exc.field,
            reason=reason,
            request_key=request_key,
        )
    return RedirectResponse(f"/safety/susars/{ae_id}", status_code=303)


@router.post("/regulatory-reports/{report_id}/submit")
def submit_regulatory_report(
    request: Request,
    report_id: RecordId,
    db: Db,
    actor: PageActor,
    reference: Annotated[str, Form()] = "",
) -> Response:
    report = susar.file_regulatory_report(db, actor, report_id, reference=reference)
    return RedirectResponse(f"/safety/susars/{report.ae_id}", status_code=303)
