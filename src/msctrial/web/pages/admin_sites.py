"""Administration of sites: list, create and edit a hospital (its code, name, time zone,
altitude and barometric pressure, which feed the P/F altitude correction).

Thin: each form calls ``core.sites``, the service the ``msctrial site`` commands use, which
validates (the ranges named in its error), audits, and commits once.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from msctrial.core.actors import Actor
from msctrial.core.errors import MsctrialError
from msctrial.core.sites import (
    ALTITUDE_M,
    PRESSURE_MMHG,
    SiteDetails,
    add_site,
    get_site,
    list_sites,
    update_site,
)
from msctrial.web.deps import CsrfProtected, Db
from msctrial.web.layout import render
from msctrial.web.pages.admin_forms import AdminActor, AdminOnly, optional_number, problems_of

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtected, AdminOnly])

Text = Annotated[str, Form()]


def _details(name: str, country: str, timezone: str, altitude_m: str, pressure: str) -> SiteDetails:
    return SiteDetails(
        name=name.strip(),
        country=country.strip() or None,
        altitude_m=optional_number(altitude_m, "altitude_m", "metres"),
        barometric_pressure_mmhg=optional_number(pressure, "barometric_pressure_mmhg", "mmHg"),
        timezone=timezone.strip() or "UTC",
    )


def _limits() -> dict[str, Any]:
    return {"altitude_range": ALTITUDE_M, "pressure_range": PRESSURE_MMHG}


def _sites_page(
    request: Request,
    db: Session,
    actor: Actor,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    ctx = {"sites": list_sites(db), "form": form or {}, "errors": errors or {}, **_limits()}
    return render(request, "admin/sites.html", ctx, actor=actor, status=status)


@router.get("/admin/sites")
def sites_page(request: Request, db: Db, actor: AdminActor) -> Response:
    return _sites_page(request, db, actor)


@router.post("/admin/sites")
def create_site(
    request: Request,
    db: Db,
    actor: AdminActor,
    code: Text = "",
    name: Text = "",
    country: Text = "",
    timezone: Text = "",
    altitude_m: Text = "",
    barometric_pressure_mmhg: Text = "",
) -> Response:
    form = {
        "code": code,
        "name": name,
        "country": country,
        "timezone": timezone,
        "altitude_m": altitude_m,
        "barometric_pressure_mmhg": barometric_pressure_mmhg,
    }
    try:
        d = _details(name, country, timezone, altitude_m, barometric_pressure_mmhg)
        site = add_site(
            db,
            actor,
            code,
            d.name,
            country=d.country,
            altitude_m=d.altitude_m,
            barometric_pressure_mmhg=d.barometric_pressure_mmhg,
            timezone=d.timezone,
        )
    except MsctrialError as exc:
        db.rollback()
        return _sites_page(request, db, actor, form=form, errors=problems_of(exc), status=422)
    return RedirectResponse(f"/admin/sites/{site.code}?done=created", status_code=303)


@router.get("/admin/sites/{site}")
def site_page(request: Request, site: str, db: Db, actor: AdminActor, done: str = "") -> Response:
    row = get_site(db, site)
    form = {
        "name": row.name,
        "country": row.country or "",
        "timezone": row.timezone,
        "altitude_m": "" if row.altitude_m is None else f"{row.altitude_m:g}",
        "barometric_pressure_mmhg": ""
        if row.barometric_pressure_mmhg is None
        else f"{row.barometric_pressure_mmhg:g}",
    }
    ctx = {
        "site": row,
        "form": form,
        "errors": {},
        "done": done if done in ("created", "saved") else "",
        **_limits(),
    }
    return render(request, "admin/site.html", ctx, actor=actor)


@router.post("/admin/sites/{site}")
def edit_site(
    request: Request,
    site: str,
    db: Db,
    actor: AdminActor,
    name: Text = "",
    country: Text = "",
    timezone: Text = "",
    altitude_m: Text = "",
    barometric_pressure_mmhg: Text = "",
    reason: Text = "",
) -> Response:
    row = get_site(db, site)  # an unknown site is a 404, not a form error
    form = {
        "name": name,
        "country": country,
        "timezone": timezone,
        "altitude_m": altitude_m,
        "barometric_pressure_mmhg": barometric_pressure_mmhg,
        "reason": reason,
    }
    try:
        d = _details(name, country, timezone, altitude_m, barometric_pressure_mmhg)
        update_site(db, actor, row.code, d, reason=reason)
    except MsctrialError as exc:
        db.rollback()
        ctx = {"site": get_site(db, site), "form": form, "errors": problems_of(exc), **_limits()}
        return render(request, "admin/site.html", ctx, actor=actor, status=422)
    return RedirectResponse(f"/admin/sites/{row.code}?done=saved", status_code=303)
