"""The home page: the user's roles, the trials with their guidance verdict, where to go."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from msctrial.protocol import service as protocols
from msctrial.web.deps import Config, CsrfProtected, Db, PageActor
from msctrial.web.layout import render

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtected])


@router.get("/")
def home(request: Request, db: Db, actor: PageActor, settings: Config) -> Response:
    rows = []
    for trial, version in protocols.list_trials(db):
        stored = protocols.get_protocol(db, trial.code, version)
        findings = protocols.findings_for(stored.protocol, settings)
        deviations = sum(f.level == "deviation" for f in findings)
        rows.append((trial, version, deviations, len(findings) - deviations))
    return render(request, "home.html", {"trials": rows}, actor=actor)
