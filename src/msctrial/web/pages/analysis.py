"""The statistician's and the DSMB's *Analysis* pages: the statistical report in the site's
layout, and the same report to download as HTML or PDF.

The report is ``analysis.report.trial_report``, the one ``msctrial report`` writes. Which one a
reader gets follows the role, never a choice on the page: the DSMB the unblinded report (by
arm, closed session), the statistician the blinded one (pooled, no arm anywhere). Every other
role, site staff above all, is refused.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from msctrial.analysis.report import trial_report
from msctrial.core.actors import Actor
from msctrial.core.errors import PermissionDenied
from msctrial.web.deps import CsrfProtected, Db, PageActor
from msctrial.web.layout import render
from msctrial.web.page_cache import cached

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtected])

READERS = ("statistician", "dsmb")


def _unblinded(actor: Actor) -> bool:
    """Whether the actor reads the DSMB's unblinded report; refuse anyone who reads neither."""
    if actor.has_role("dsmb"):
        return True
    if actor.has_role("statistician"):
        return False
    raise PermissionDenied(
        "analysis: the statistical report is for the trial statistician (blinded) and the "
        "DSMB (unblinded)"
    )


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}


def _report(request: Request, db: Db, actor: Actor, unblinded: bool) -> str:
    """The whole report, computed once per change of the trial's data (``web.page_cache``)."""
    return cached(
        request,
        db,
        actor,
        "analysis.html",
        lambda: trial_report(db, actor, unblinded=unblinded),
        unblinded,
    )


@router.get("/analysis")
def analysis_page(request: Request, db: Db, actor: PageActor) -> Response:
    unblinded = _unblinded(actor)
    body = cached(
        request,
        db,
        actor,
        "analysis",
        lambda: trial_report(db, actor, unblinded=unblinded, fragment=True),
        unblinded,
    )
    return render(request, "analysis/report.html", {"unblinded": unblinded, "report": body},
                  actor=actor, headers={"Cache-Control": "no-store"})  # fmt: skip


@router.get("/analysis/report.html")
def analysis_report_html(request: Request, db: Db, actor: PageActor) -> Response:
    unblinded = _unblinded(actor)
    name = "report-unblinded.html" if unblinded else "report.html"
    body = _report(request, db, actor, unblinded)
    return HTMLResponse(body, headers=_attachment(name))


@router.get("/analysis/report.pdf")
def analysis_report_pdf(request: Request, db: Db, actor: PageActor) -> Response:
    from msctrial.analysis.report_pdf import report_pdf

    unblinded = _unblinded(actor)
    name = "report-unblinded.pdf" if unblinded else "report.pdf"
    pdf = cached(
        request,
        db,
        actor,
        "analysis.pdf",
        lambda: report_pdf(_report(request, db, actor, unblinded)),
        unblinded,
    )
    return Response(pdf, media_type="application/pdf", headers=_attachment(name))
