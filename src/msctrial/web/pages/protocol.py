"""Protocol pages: the design, arms, schedule and expert-guidance findings of a trial."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from msctrial.protocol import service
from msctrial.web.deps import Config, Db, PageActor
from msctrial.web.layout import render

router = APIRouter(include_in_schema=False)


@router.get("/protocol")
def current_protocol(db: Db, actor: PageActor) -> Response:
    trial = service.only_trial(db)
    return RedirectResponse(f"/protocols/{trial.code}", status_code=303)


@router.get("/protocols/{trial}")
def protocol_page(
    request: Request,
    trial: str,
    db: Db,
    actor: PageActor,
    settings: Config,
    version: int | None = None,
) -> Response:
    stored = service.get_protocol(db, trial, version)
    findings = service.findings_for(stored.protocol, settings)
    return render(
        request,
        "protocol/detail.html",
        {
            "stored": stored,
            "p": stored.protocol,
            "findings": findings,
            "deviations": [f for f in findings if f.level == "deviation"],
            "versions": service.list_versions(db, trial),
        },
        actor=actor,
    )
