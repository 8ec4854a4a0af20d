"""QC records a lot and its units through a form (the YAML lot sheet stays as an upload).

Thin: ``product.lot_form`` turns the fields into the lot sheet, ``service.register_lot`` (the
service of the upload and of ``msctrial product lot add``) records it. QC only; the page shows
lots and products, never a subject or an arm.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from msctrial.core.actors import Actor
from msctrial.core.db import utcnow
from msctrial.core.errors import MsctrialError
from msctrial.product import service
from msctrial.product.lot_form import lot_sheet_from_form
from msctrial.product.specification import LotKind
from msctrial.protocol.model import Donor, TissueSource
from msctrial.web.deps import CsrfProtected, Db, PageActor
from msctrial.web.layout import render
from msctrial.web.pages.admin_forms import problems_of

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtected])

PATH = "/product/new-lot"  # not under /product/lots/, whose next segment is a lot code


def _form_page(
    request: Request,
    db: Session,
    actor: Actor,
    form: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    products, specifications = service.lot_form_choices(db, actor)
    ctx: dict[str, Any] = {
        "products": products,
        "specifications": specifications,
        "kinds": [k.value for k in LotKind],
        "tissues": [t.value for t in TissueSource],
        "donors": [d.value for d in Donor],
        "form": form,
        "errors": errors,
    }
    return render(request, "product/lot_form.html", ctx, actor=actor, status=status)


@router.get(PATH)
def lot_form(request: Request, db: Db, actor: PageActor) -> Response:
    return _form_page(request, db, actor, {}, {})


@router.post(PATH)
async def record_lot(request: Request, db: Db, actor: PageActor) -> Response:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    form.pop("csrf_token", None)
    try:
        known, _ = service.lot_form_choices(db, actor)
        sheet = lot_sheet_from_form(form, known)
        detail = service.register_lot(db, actor, sheet, now=utcnow())
    except MsctrialError as exc:
        db.rollback()
        if exc.status == 403:
            raise
        status = 422 if exc.status == 404 else exc.status  # e.g. an unknown specification
        return _form_page(request, db, actor, form, problems_of(exc), status=status)
    return RedirectResponse(f"/product/lots/{detail.summary.code}", status_code=303)
