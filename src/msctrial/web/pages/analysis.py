"""The statistician's and the DSMB's *Analysis* pages: the statistical report in the site's
layout, and the same report to download as HTML or PDF.

The report is ``analysis.report.trial_report``, the one ``msctrial report`` writes. Which one a
reader gets follows the role, never a choice on the page: the DSMB the unblinded report (by
arm, closed session), the statistician the blinded one (pooled, no arm anywhere). Every other
role, site staff above all, is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from msctrial.analysis.readings import record_unblinded_report
from msctrial.analysis.report import trial_report
from msctrial.core.actors import Actor
from msctrial.core.errors import PermissionDenied
from msctrial.web.deps import CsrfProtected, Db, PageActor
from msctrial.web.layout import render
from msctrial.web.page_cache import cached, in_background, is_cached, is_computing

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtected])

READERS = ("statistician", "dsmb")
T = TypeVar("T")


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
    return _computed(
        request, db, actor, "analysis.html", unblinded,
        lambda: trial_report(db, actor, unblinded=unblinded),
    )  # fmt: skip


def _computed(
    request: Request, db: Db, actor: Actor, name: str, unblinded: bool, compute: Callable[[], T]
) -> T:
    """A report from the page cache; an unblinded one is produced for each DSMB member, and
    each production is put on the audit trail (which leaves the data's version as it was)."""
    reader = actor.username if unblinded else None
    if unblinded and not is_cached(request, db, actor, name, reader):
        record_unblinded_report(db, actor, "web")
    return cached(request, db, actor, name, compute, reader)


@router.get("/analysis")
def analysis_page(request: Request, db: Db, actor: PageActor) -> Response:
    """The report in the site's layout. It is computed in the background on the first view
    after the data change; until it is ready the page says so and looks again every 2 s."""
    unblinded = _unblinded(actor)
    reader = actor.username if unblinded else None
    made_or_under_way = is_cached(request, db, actor, "analysis", reader) or is_computing(
        request, db, actor, "analysis", reader
    )
    if unblinded and not made_or_under_way:
        record_unblinded_report(db, actor, "web")
    body, failed = in_background(
        request, db, actor, "analysis",
        lambda session: trial_report(session, actor, unblinded=unblinded, fragment=True),
        reader,
    )  # fmt: skip
    context = {"unblinded": unblinded, "report": body, "failed": failed}
    return render(request, "analysis/report.html", context, actor=actor,
                  headers={"Cache-Control": "no-store"})  # fmt: skip


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
    pdf = _computed(
        request, db, actor, "analysis.pdf", unblinded,
        lambda: report_pdf(_report(request, db, actor, unblinded)),
    )  # fmt: skip
    return Response(pdf, media_type="application/pdf", headers=_attachment(name))
