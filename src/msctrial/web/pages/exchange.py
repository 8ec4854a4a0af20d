"""The Exports page: run an export as you may see the data, follow it, and each file's check.

An export runs in the background (``export_jobs``): the form's post answers at once with a
redirect to the page following that job, which refreshes itself while the export runs and
shows its progress (rows written, files done, a percentage once the total is known). The
status is JSON at ``/exports/jobs/{job_id}`` too, for the user who started it only.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from msctrial.clinical.subjects.access import visible_sites
from msctrial.exchange.exports import KINDS, list_exports
from msctrial.web import export_jobs, exports_store
from msctrial.web.deps import CsrfProtected, Db, PageActor
from msctrial.web.layout import render

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtected])


@router.get("/exports")
def exports_page(request: Request, db: Db, actor: PageActor, job: str = "") -> Response:
    visible_sites(actor)  # refuses a role that may not see subjects, so may not export them
    following = export_jobs.job_of(request, actor, job).public() if job else None
    done = None
    if following and following["record_id"] is not None:
        done = exports_store.stored(request.app.state, following["record_id"])
    return render(
        request,
        "exchange/list.html",
        {
            "kinds": KINDS,
            "records": list_exports(db, actor),
            "checks": exports_store.checks_of(request),
            "mine": actor.audit_name,
            "job": following,
            "done": done,
        },
        actor=actor,
    )


@router.post("/exports")
def run_export_page(
    request: Request,
    actor: PageActor,
    kind: str = Form(...),
    file_format: str = Form(""),
    layout: str = Form("long"),
    site: str = Form(""),
) -> Response:
    visible_sites(actor)
    job = export_jobs.start(
        request, actor, kind, file_format=file_format or None, layout=layout, site=site or None
    )
    return RedirectResponse(f"/exports?job={job.id}", status_code=303)


@router.get("/exports/jobs/{job_id}")
def export_job_status(request: Request, actor: PageActor, job_id: str) -> dict[str, Any]:
    """How far the user's export ``job_id`` is, as JSON."""
    visible_sites(actor)
    return export_jobs.job_of(request, actor, job_id).public()
