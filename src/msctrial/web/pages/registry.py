"""Registry pages: the landscape with a searchable, sortable trial table, and one trial's
extracted design with its evidence and findings."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from msctrial.registry import service
from msctrial.web.deps import Config, Db, PageActor
from msctrial.web.layout import render

router = APIRouter(include_in_schema=False)

COLUMNS = [
    ("nct_id", "Trial"),
    ("institution", "Institution"),
    ("start_date", "Start"),
    ("status", "Status"),
    ("cell_source", "Source"),
    ("administrations", "Dose and schedule"),
    ("enrollment", "Enrolment"),
]


@router.get("/registry")
def registry_page(
    request: Request,
    db: Db,
    actor: PageActor,
    settings: Config,
    q: str | None = None,
    sort: str = "nct_id",
    desc: bool = False,
) -> Response:
    trials = service.list_trials(db, actor, settings, q=q, sort=sort, descending=desc)
    land, figs = service.landscape(db, actor, settings)
    return render(
        request,
        "registry/index.html",
        {
            "trials": trials,
            "land": land,
            "figs": figs,
            "q": q or "",
            "sort": sort,
            "desc": desc,
            "columns": COLUMNS,
            "last_load": service.last_load(db, actor),
        },
        actor=actor,
    )


@router.get("/registry/{nct_id}")
def trial_page(
    request: Request, nct_id: str, db: Db, actor: PageActor, settings: Config
) -> Response:
    detail = service.get_trial(db, actor, settings, nct_id)
    return render(request, "registry/detail.html", {"t": detail, "d": detail.design}, actor=actor)
