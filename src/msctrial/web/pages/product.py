"""Pages of the cell product: lots, results, release, certificate, labels, trace and recalls.

Each page calls the same service as its JSON route. A form whose service refuses (a release
that is blocked, a wrong signature) shows the lot again with the refusal, not a bare error.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from msctrial.core.actors import Actor
from msctrial.core.db import utcnow
from msctrial.core.errors import InvalidInput, MsctrialError
from msctrial.product import documents, service, spec_store, trace
from msctrial.product.specification import Level, ResultInput, symbol
from msctrial.web.deps import CsrfProtected, Db, OptionalRecordId, PageActor, RecordId
from msctrial.web.layout import render

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtected])


def _lot_page(
    request: Request,
    db: Db,
    actor: Actor,
    lot: str,
    *,
    error: str = "",
    notice: str = "",
    status: int = 200,
) -> Response:
    detail = service.lot_detail(db, actor, lot, now=utcnow())
    spec = service.lot_specification(db, actor, lot)
    return render(
        request,
        "product/lot.html",
        {
            "d": detail,
            "s": detail.summary,
            "entry": {
                lvl: [(t, symbol(t.criterion, t.unit)) for t in spec.tests_for(Level(lvl))]
                for lvl in ("release", "quality")
            },
            "error": error,
            "notice": notice,
            "can_decide": actor.has_role("qc"),
        },
        actor=actor,
        status=status,
    )


@router.get("/product")
def product_home(actor: PageActor) -> Response:
    return RedirectResponse("/product/lots", status_code=303)


@router.get("/product/lots")
def lots_page(request: Request, db: Db, actor: PageActor, status: str | None = None) -> Response:
    lots = service.list_lots(db, actor, now=utcnow(), status=status or None)
    return render(
        request,
        "product/lots.html",
        {"lots": lots, "status": status or "", "can_add": actor.has_role("qc")},
        actor=actor,
    )


@router.post("/product/lots")
def add_lot(request: Request, db: Db, actor: PageActor, yaml: Annotated[str, Form()]) -> Response:
    try:
        detail = service.register_lot(db, actor, yaml, now=utcnow())
    except MsctrialError as exc:
        db.rollback()
        lots = service.list_lots(db, actor, now=utcnow())
        return render(
            request,
            "product/lots.html",
            {"lots": lots, "status": "", "can_add": True, "error": exc.message, "yaml": yaml},
            actor=actor,
            status=exc.status,
        )
    return RedirectResponse(f"/product/lots/{detail.summary.code}", status_code=303)


@router.get("/product/lots/{lot}")
def lot_page(request: Request, lot: str, db: Db, actor: PageActor) -> Response:
    return _lot_page(request, db, actor, lot)


def _results_from_form(form: dict[str, str], codes: list[str]) -> list[ResultInput]:
    """Rows of the result form that were filled in; blank rows are left for later."""
    tested_on = form.get("tested_on") or None
    out = []
    for code in codes:
        value = (form.get(f"value_{code}") or "").strip()
        outcome = (form.get(f"outcome_{code}") or "").strip()
        if not value and not outcome:
            continue
        try:
            number = float(value) if value else None
        except ValueError:
            raise InvalidInput(f"value: {value!r} for {code} is not a number", field=code) from None
        out.append(
            ResultInput(
                test=code,
                value=number,
                unit=(form.get(f"unit_{code}") or "").strip() or None,
                outcome=outcome or None,  # type: ignore[arg-type]
                tested_on=dt.date.fromisoformat(tested_on) if tested_on else None,
            )
        )
    return out


@router.post("/product/lots/{lot}/results")
async def add_results(request: Request, lot: str, db: Db, actor: PageActor) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    level = form.get("level", "")
    try:
        if level not in ("quality", "release"):
            raise InvalidInput("level: choose quality or release", field="level")
        spec = service.lot_specification(db, actor, lot)
        try:
            results = _results_from_form(form, [t.code for t in spec.tests_for(Level(level))])
        except ValueError as exc:
            raise InvalidInput(f"tested_on: {exc}", field="tested_on") from None
        service.record_results(
            db, actor, lot, level, results, now=utcnow(), reason=form.get("reason") or None
        )
    except MsctrialError as exc:
        db.rollback()
        return _lot_page(request, db, actor, lot, error=exc.message, status=exc.status)
    return _lot_page(request, db, actor, lot, notice=f"{len(results)} {level} result(s) saved")


def _decide(
    request: Request, db: Db, actor: Actor, lot: str, action: str, password: str, reason: str
) -> Response:
    now = utcnow()
    try:
        if action == "release":
            service.release_lot(db, actor, lot, password=password, now=now)
        elif action == "reject":
            service.reject_lot(db, actor, lot, password=password, reason=reason, now=now)
        else:
            signed = service.recall_lot(db, actor, lot, password=password, reason=reason, now=now)
            return RedirectResponse(f"/product/recalls?lot={lot}&opened={signed.follow_ups}", 303)
    except MsctrialError as exc:
        db.rollback()
        return _lot_page(request, db, actor, lot, error=exc.message, status=exc.status)
    return _lot_page(request, db, actor, lot, notice=f"lot {lot}: {action} signed")


@router.post("/product/lots/{lot}/{action}")
def decide(
    request: Request,
    lot: str,
    action: str,
    db: Db,
    actor: PageActor,
    password: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    if action not in ("release", "reject", "recall"):
        raise InvalidInput("action: release, reject or recall", field="action")
    return _decide(request, db, actor, lot, action, password, reason)


@router.get("/product/lots/{lot}/certificate")
def certificate_page(request: Request, lot: str, db: Db, actor: PageActor) -> Response:
    detail = documents.certificate(db, actor, lot, now=utcnow())
    return render(
        request, "product/certificate.html", {"d": detail, "s": detail.summary}, actor=actor
    )


@router.get("/product/lots/{lot}/labels")
def labels_page(request: Request, lot: str, db: Db, actor: PageActor) -> Response:
    labels = documents.labels(db, actor, lot)
    return render(request, "product/labels.html", {"labels": labels, "lot": lot}, actor=actor)


@router.get("/product/trace")
def trace_page(
    request: Request, db: Db, actor: PageActor, lot: str | None = None, subject: str | None = None
) -> Response:
    now = utcnow()
    lot_trace = trace.trace_lot(db, actor, lot.strip(), now=now) if lot else None
    subject_trace = trace.trace_subject(db, actor, subject.strip(), now=now) if subject else None
    if not (lot_trace or subject_trace):
        actor.require(*trace.TRACERS, to="trace lots and subjects (it reveals the allocation)")
    return render(
        request,
        "product/trace.html",
        {
            "lot_trace": lot_trace,
            "subject_trace": subject_trace,
            "lot": lot,
            "subject": subject,
            "names_subjects": actor.has_role(*trace.UNBLINDED_TRACERS),
        },
        actor=actor,
    )


@router.get("/product/recalls")
def recalls_page(
    request: Request,
    db: Db,
    actor: PageActor,
    lot: str | None = None,
    opened: OptionalRecordId = None,
) -> Response:
    rows = trace.list_follow_ups(db, actor, lot_code=lot or None)
    return render(
        request,
        "product/recalls.html",
        {
            "rows": rows,
            "lot": lot,
            "opened": opened,
            "may_close": actor.has_role(*trace.FOLLOW_UP_CLOSERS),
        },
        actor=actor,
    )


@router.post("/product/recalls/{follow_up}/close")
def close_follow_up(
    request: Request,
    follow_up: RecordId,
    db: Db,
    actor: PageActor,
    note: Annotated[str, Form()] = "",
) -> Response:
    trace.close_follow_up(db, actor, follow_up, note=note, now=utcnow())
    return RedirectResponse("/product/recalls", status_code=303)


@router.get("/product/specifications")
def specifications_page(request: Request, db: Db, actor: PageActor) -> Response:
    specs = spec_store.list_specifications(db, actor)
    return render(request, "product/specifications.html", {"specs": specs}, actor=actor)


@router.post("/product/specifications")
def add_specification(
    request: Request, db: Db, actor: PageActor, yaml: Annotated[str, Form()]
) -> Response:
    spec_store.save_specification(db, actor, yaml)
    return RedirectResponse("/product/specifications", status_code=303)
