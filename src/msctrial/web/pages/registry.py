"""Registry pages: the landscape with a searchable, sortable trial table filtered by registry,
registration date and combination therapy, the landscape at a chosen date, and one trial's
extracted design with its evidence, findings and a link to its record on its own registry."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from msctrial.core.errors import InvalidInput
from msctrial.registry import service
from msctrial.web.deps import Config, CsrfProtected, Db, PageActor
from msctrial.web.layout import N_, render

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtected])

COLUMNS = [
    ("trial_id", N_("Trial")),
    ("registered_on", N_("Registered")),
    ("institution", N_("Institution")),
    ("start_date", N_("Start")),
    ("status", N_("Status")),
    ("cell_source", N_("Source")),
    ("administrations", N_("Dose and schedule")),
    ("enrollment", N_("Enrolment")),
]


@router.get("/registry")
def registry_page(
    request: Request,
    db: Db,
    actor: PageActor,
    settings: Config,
    q: str | None = None,
    sort: str = "trial_id",
    desc: bool = False,
    registry: Annotated[list[str] | None, Query()] = None,
    registered_from: str | None = None,
    registered_to: str | None = None,
    combination: str | None = None,
    as_of: str | None = None,
) -> Response:
    filters = service.TrialFilter(
        registries=[r for r in registry or [] if r],
        registered_from=_date(registered_from, "registered_from"),
        registered_to=_date(registered_to, "registered_to"),
        combination={"yes": True, "no": False}.get(combination or ""),
    )
    trials = service.list_trials(
        db, actor, settings, q=q, sort=sort, descending=desc, filters=filters
    )
    land, figs = service.landscape(db, actor, settings)
    at = service.landscape_at(db, actor, settings, _date(as_of, "as_of"), filters.registries)
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
            "registries": service.registries_stored(db, actor),
            "chosen": filters,
            "combination": combination or "",
            "as_of": as_of or "",
            "at": at,
        },
        actor=actor,
    )


def _date(text: str | None, field: str) -> str | None:
    """An ISO date from a filter box; a blank box is no filter."""
    if not text or not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise InvalidInput(
            f"{field}: {text!r} is not a date; use YYYY-MM-DD", field=field
        ) from None


@router.get("/registry/{trial_id}")
def trial_page(
    request: Request, trial_id: str, db: Db, actor: PageActor, settings: Config
) -> Response:
    detail = service.get_trial(db, actor, settings, trial_id)
    return render(request, "registry/detail.html", {"t": detail, "d": detail.design}, actor=actor)
