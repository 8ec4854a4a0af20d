"""The monitor's dashboard: the site × KRI heat map with each site's risk score, and the
five-part quality scorecard for the trial-wide roles.

Both come from ``monitoring.service``, as ``msctrial monitor kri`` and ``monitor scorecard``
do. A site user sees their own sites' row; no KRI is split by arm.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from msctrial.clinical.subjects.access import visible_sites
from msctrial.monitoring.service import RISK_SCORE_ID, key_risk_indicators, trial_scorecard
from msctrial.web.deps import Config, CsrfProtected, Db, PageActor
from msctrial.web.layout import render

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtected])

FLAG_CLASS = {None: "none", -2: "red", -1: "amber", 0: "green", 1: "amber", 2: "red"}
FLAG_WORD = {None: "not scored", -2: "red, low", -1: "amber, low", 0: "green", 1: "amber", 2: "red"}


@router.get("/monitoring")
def monitoring_page(request: Request, db: Db, actor: PageActor, settings: Config) -> Response:
    report = key_risk_indicators(db, actor)
    card = trial_scorecard(db, actor, settings) if visible_sites(actor) is None else None
    sites = report.sites()
    cells = {(r.kri, r.site): r for r in report.rows}
    return render(
        request,
        "monitoring/dashboard.html",
        {
            "report": report,
            "sites": sites,
            "cells": cells,
            "risk_id": RISK_SCORE_ID,
            "flag_class": FLAG_CLASS,
            "flag_word": FLAG_WORD,
            "card": card,
        },
        actor=actor,
    )
