"""The monitor's dashboard: the site × KRI heat map with each site's risk score, the
risk-adapted monitoring plan, and the five-part quality scorecard for the trial-wide roles.

Both come from ``monitoring.service``, as ``msctrial monitor kri`` and ``monitor scorecard``
do. A site user sees their own sites' row; no KRI is split by arm.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from msctrial.clinical.subjects.access import visible_sites
from msctrial.core.actors import Actor
from msctrial.monitoring.figures import funnel_svg
from msctrial.monitoring.history import SnapshotRow, read_history
from msctrial.monitoring.model import FlagChange, flag_changes
from msctrial.monitoring.service import (
    RISK_SCORE_ID,
    KriReport,
    key_risk_indicators,
    kri_funnel,
    kri_records,
    monitoring_plan,
    trial_scorecard,
)
from msctrial.web.deps import Config, CsrfProtected, Db, PageActor
from msctrial.web.layout import N_, render
from msctrial.web.page_cache import cached

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtected])

FLAG_CLASS = {None: "none", -2: "red", -1: "amber", 0: "green", 1: "amber", 2: "red"}
FLAG_WORD = {
    None: N_("not scored"),
    -2: N_("red, low"),
    -1: N_("amber, low"),
    0: N_("green"),
    1: N_("amber"),
    2: N_("red"),
}


def _trend(rows: list[SnapshotRow]) -> tuple[list[str], dict[tuple[str, str], float | None]]:
    """The snapshot dates (the last ten) and each site's risk score on them."""
    dates = sorted({r.snapshot_date.isoformat() for r in rows})[-10:]
    scores = {
        (r.snapshot_date.isoformat(), r.site): r.score
        for r in rows
        if r.kri == RISK_SCORE_ID and r.snapshot_date.isoformat() in dates
    }
    return dates, scores


def _last_changes(rows: list[SnapshotRow]) -> list[FlagChange]:
    dates = sorted({r.snapshot_date for r in rows})
    if len(dates) < 2:
        return []
    before = {(r.kri, r.site): r.flag for r in rows if r.snapshot_date == dates[-2]}
    after = {(r.kri, r.site): r.flag for r in rows if r.snapshot_date == dates[-1]}
    return flag_changes(before, after)


def _kris(request: Request, db: Db, actor: Actor) -> KriReport:
    return cached(request, db, actor, "kris", lambda: key_risk_indicators(db, actor))


@router.get("/monitoring")
def monitoring_page(request: Request, db: Db, actor: PageActor, settings: Config) -> Response:
    report = _kris(request, db, actor)
    plan = cached(request, db, actor, "plan", lambda: monitoring_plan(db, actor, report=report))
    card = (
        cached(request, db, actor, "scorecard", lambda: trial_scorecard(db, actor, settings))
        if visible_sites(actor) is None
        else None
    )
    sites = report.sites()
    cells = {(r.kri, r.site): r for r in report.rows}
    history = read_history(db, actor)
    dates, trend = _trend(history)
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
            "plan": plan,
            "dates": dates,
            "trend": trend,
            "changes": _last_changes(history),
        },
        actor=actor,
    )


@router.get("/monitoring/funnel")
def funnel_page(request: Request, db: Db, actor: PageActor, kri: str = "AE") -> Response:
    """One KRI's funnel plot: each site's metric against its denominator, with gsm's bounds."""

    def draw() -> tuple[Any, str]:
        funnel = kri_funnel(db, actor, kri)
        spec = funnel.kri
        title = f"{spec.id}: {spec.name}"
        return funnel, funnel_svg(title, spec.denominator, funnel.points, funnel.bounds)

    funnel, svg = cached(request, db, actor, "funnel", draw, kri)
    spec = funnel.kri
    kris = [k.id for k in _kris(request, db, actor).kris]
    return render(
        request,
        "monitoring/funnel.html",
        {"spec": spec, "svg": svg, "points": funnel.points, "kris": kris, "flag_word": FLAG_WORD},
        actor=actor,
    )


@router.get("/monitoring/records")
def records_page(
    request: Request, db: Db, actor: PageActor, kri: str = "AE", site: str | None = None
) -> Response:
    """The records behind a KRI's numerator, per site: what a monitor follows a flag up with."""
    spec, per_site = cached(
        request, db, actor, "records", lambda: kri_records(db, actor, kri, site=site), kri, site
    )
    return render(
        request,
        "monitoring/records.html",
        {"spec": spec, "per_site": per_site},
        actor=actor,
    )
