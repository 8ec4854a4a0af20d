"""JSON API of risk-adapted monitoring: the KRIs, the plan, the scorecard, the records behind a
KRI and the quality tolerance limits.

Each route calls the ``monitoring.service`` function its ``msctrial monitor`` command calls and
returns what that command prints with ``--json``, with the default configuration (gsm's). A
site user gets their own sites' rows; the scorecard and the KRIs per country are for the
trial-wide roles; no row is split by arm or reads one.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query

from msctrial.core.errors import InvalidInput
from msctrial.monitoring.service import (
    country_indicators,
    key_risk_indicators,
    kri_records,
    monitoring_plan,
    quality_tolerance_limits,
    trial_scorecard,
)
from msctrial.web.deps import ApiActor, Config, Db

router = APIRouter(prefix="/api/v1/monitoring", tags=["monitoring"])

Site = Query(default=None, max_length=16, description="one site's code")


@router.get("/kri", response_model=list[dict[str, Any]])
def kri(
    db: Db,
    actor: ApiActor,
    site: str | None = Site,
    by: Literal["site", "country"] = "site",
) -> list[dict[str, Any]]:
    """Every KRI × site, then each site's risk score (``SRS``); ``by=country``: per country."""
    if by == "country":
        if site is not None:
            raise InvalidInput("site: site and by=country do not go together", field="site")
        rows = country_indicators(db, actor).to_list()
        return [{("country" if k == "site" else k): v for k, v in r.items()} for r in rows]
    return key_risk_indicators(db, actor, site=site).to_list()


@router.get("/plan", response_model=list[dict[str, Any]])
def plan(db: Db, actor: ApiActor, site: str | None = Site) -> list[dict[str, Any]]:
    """The risk-adapted monitoring plan, riskiest site first."""
    return [p.to_dict() for p in monitoring_plan(db, actor, site=site)]


@router.get("/scorecard", response_model=dict[str, Any])
def scorecard(db: Db, actor: ApiActor, settings: Config) -> dict[str, Any]:
    """The five-part quality scorecard (trial-wide roles)."""
    return trial_scorecard(db, actor, settings).to_dict()


@router.get("/records", response_model=list[dict[str, Any]])
def records(
    db: Db,
    actor: ApiActor,
    kri: str = Query(max_length=16, description="the KRI's id, e.g. AE"),
    site: str | None = Site,
) -> list[dict[str, Any]]:
    """The records behind one KRI's numerator at each visible site."""
    spec, per_site = kri_records(db, actor, kri, site=site)
    return [
        {
            "kri": spec.id,
            "site": s.site,
            "numerator": s.numerator,
            "denominator": s.denominator,
            "records": s.records,
        }
        for s in per_site
    ]


@router.get("/qtl", response_model=list[dict[str, Any]])
def qtl(db: Db, actor: ApiActor) -> list[dict[str, Any]]:
    """The study-level quality tolerance limits."""
    return [r.to_dict() for r in quality_tolerance_limits(db, actor)]
