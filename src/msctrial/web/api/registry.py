"""JSON API for the registry survey: the stored MSC trials, one trial's design, the landscape.

Registry data is public: any logged-in user (or API token) may read it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from msctrial.registry import service
from msctrial.web.deps import ApiActor, Config, Db

router = APIRouter(prefix="/api/v1/registry", tags=["registry"])


class LandscapePublic(BaseModel):
    trials: int
    by_country: dict[str, int]
    by_start_month: dict[str, int]
    by_phase: dict[str, int]
    by_status: dict[str, int]
    by_source: dict[str, int]
    by_route: dict[str, int]
    by_administrations: dict[str, int]
    meeting_guidance: list[str]
    deviating: dict[str, list[str]]
    rules_broken: dict[str, int]


@router.get("/trials", response_model=list[service.TrialSummary])
def list_trials(
    db: Db,
    actor: ApiActor,
    settings: Config,
    q: str | None = None,
    sort: str = "trial_id",
    desc: bool = False,
    registry: Annotated[list[str] | None, Query()] = None,
    registered_from: dt.date | None = None,
    registered_to: dt.date | None = None,
    combination: bool | None = None,
) -> list[service.TrialSummary]:
    filters = service.TrialFilter(
        registries=registry or [],
        registered_from=registered_from.isoformat() if registered_from else None,
        registered_to=registered_to.isoformat() if registered_to else None,
        combination=combination,
    )
    return service.list_trials(
        db, actor, settings, q=q, sort=sort, descending=desc, filters=filters
    )


@router.get("/landscape-at")
def get_landscape_at(
    db: Db,
    actor: ApiActor,
    settings: Config,
    as_of: dt.date,
    registry: Annotated[list[str] | None, Query()] = None,
) -> dict[str, Any]:
    """The landscape registered by ``as_of``, each trial once: the CLI's ``landscape --json``."""
    found = service.landscape_at(db, actor, settings, as_of.isoformat(), registry)
    assert found is not None
    return found.to_json()


@router.get("/trials/{trial_id}", response_model=service.TrialDetail)
def get_trial(trial_id: str, db: Db, actor: ApiActor, settings: Config) -> service.TrialDetail:
    return service.get_trial(db, actor, settings, trial_id)


@router.get("/landscape", response_model=LandscapePublic)
def get_landscape(db: Db, actor: ApiActor, settings: Config) -> Any:
    land, _ = service.landscape(db, actor, settings)
    return LandscapePublic(
        trials=land.trials,
        by_country=dict(land.by_country),
        by_start_month=dict(land.by_start_month),
        by_phase=dict(land.by_phase),
        by_status=dict(land.by_status),
        by_source=dict(land.by_source),
        by_route=dict(land.by_route),
        by_administrations=dict(land.by_administrations),
        meeting_guidance=land.meeting,
        deviating=land.deviating,
        rules_broken=dict(land.rules_broken),
    )
