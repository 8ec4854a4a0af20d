"""The Exports page: run an export as you may see the data, and each file's validation."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from msctrial.clinical.subjects.access import visible_sites
from msctrial.exchange.exports import KINDS, list_exports, run_export
from msctrial.web import exports_store
from msctrial.web.deps import CsrfProtected, Db, PageActor
from msctrial.web.layout import render

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtected])


def _page(request: Request, db: Db, actor: PageActor, done: object = None) -> Response:
    visible_sites(actor)  # refuses a role that may not see subjects, so may not export them
    return render(
        request,
        "exchange/list.html",
        {
            "kinds": KINDS,
            "records": list_exports(db, actor),
            "checks": exports_store.checks_of(request),
            "mine": actor.audit_name,
            "done": done,
        },
        actor=actor,
    )


@router.get("/exports")
def exports_page(request: Request, db: Db, actor: PageActor) -> Response:
    return _page(request, db, actor)


@router.post("/exports")
def run_export_page(
    request: Request,
    db: Db,
    actor: PageActor,
    kind: str = Form(...),
    file_format: str = Form(""),
    layout: str = Form("long"),
    site: str = Form(""),
) -> Response:
    result = run_export(
        db, actor, kind, exports_store.new_folder(request), file_format=file_format or None,
        layout=layout, site=site or None,
    )  # fmt: skip
    stored = exports_store.keep(request, actor, kind, result)
    return _page(request, db, actor, done=stored)
