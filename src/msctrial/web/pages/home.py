"""The home page: the user's worklist by role, the trials with their guidance verdict."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from msctrial.clinical.casebook.enrolment_figure import enrolment_svg
from msctrial.clinical.casebook.worklist_service import Enrolment, worklist
from msctrial.protocol import service as protocols
from msctrial.web.deps import Config, CsrfProtected, Db, PageActor
from msctrial.web.layout import render

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtected])


def _subjects(n: int) -> str:
    return f"{n} subject{'' if n == 1 else 's'}"


def _charts(enrolment: Enrolment) -> list[dict[str, object]]:
    """The overall chart against the target, then one small chart per site."""
    last = enrolment.overall[-1][1] if enrolment.overall else 0
    target = f" of a target of {enrolment.target}" if enrolment.target else ""
    charts: list[dict[str, object]] = [
        {
            "title": "Enrolment, all sites",
            "svg": enrolment_svg(
                "Enrolment, all sites", tuple(enrolment.overall), enrolment.target
            ),
            "alt": f"{_subjects(last)} randomised{target}"
            + (f", the first on {enrolment.overall[0][0]}" if enrolment.overall else ""),
        }
    ]
    for site, points in enrolment.per_site.items():
        charts.append(
            {
                "title": f"Enrolment at {site}",
                "svg": enrolment_svg(f"Enrolment at {site}", tuple(points), None, small=True),
                "alt": f"{_subjects(points[-1][1])} randomised at {site}, "
                f"from {points[0][0]} to {points[-1][0]}",
            }
        )
    return charts


@router.get("/")
def home(request: Request, db: Db, actor: PageActor, settings: Config) -> Response:
    rows = []
    target = None
    for trial, version in protocols.list_trials(db):
        stored = protocols.get_protocol(db, trial.code, version)
        findings = protocols.findings_for(stored.protocol, settings)
        deviations = sum(f.level == "deviation" for f in findings)
        rows.append((trial, version, deviations, len(findings) - deviations))
        if stored.protocol.sample_size is not None:
            target = stored.protocol.sample_size.target
    work = worklist(db, actor, target=target)
    charts = _charts(work.enrolment) if work.enrolment is not None else []
    return render(
        request, "home.html", {"trials": rows, "work": work, "charts": charts}, actor=actor
    )
