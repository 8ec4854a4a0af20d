"""Sites: the hospitals of a multicentre trial."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from msctrial.core import audit
from msctrial.core.actors import Actor
from msctrial.core.errors import Conflict, InvalidInput, NotFound
from msctrial.core.tables import Site

# Inhabited altitudes (the Dead Sea shore to the highest towns) and the barometric pressures they
# give, in mmHg: beyond these a number is an entry error, e.g. 1013 is hPa, not mmHg.
ALTITUDE_M = (-500.0, 6000.0)
PRESSURE_MMHG = (300.0, 800.0)


@dataclass(frozen=True)
class SiteDetails:
    """What can be said of a site besides its code, which subject codes carry and never change."""

    name: str
    country: str | None = None
    altitude_m: float | None = None
    barometric_pressure_mmhg: float | None = None
    timezone: str = "UTC"


def _checked(details: SiteDetails) -> SiteDetails:
    """The details as stored (country upper-cased), or the first field that is wrong."""
    name, country, timezone = details.name, details.country, details.timezone
    if not name.strip() or len(name) > 200:
        raise InvalidInput("name: give the site's name, at most 200 characters", field="name")
    if country is not None and not (len(country) == 2 and country.isalpha()):
        raise InvalidInput("country: a two-letter ISO code, e.g. CN", field="country")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"timezone: {timezone!r} is not an IANA time zone, e.g. Asia/Shanghai", field="timezone"
        ) from None
    low, high = ALTITUDE_M
    if details.altitude_m is not None and not low <= details.altitude_m <= high:
        raise InvalidInput(
            f"altitude_m: must lie between {low:g} and {high:g} m", field="altitude_m"
        )
    low, high = PRESSURE_MMHG
    pressure = details.barometric_pressure_mmhg
    if pressure is not None and not low <= pressure <= high:
        raise InvalidInput(
            f"barometric_pressure_mmhg: must lie between {low:g} and {high:g} mmHg",
            field="barometric_pressure_mmhg",
        )
    return SiteDetails(
        name, country.upper() if country else None, details.altitude_m, pressure, timezone
    )


def add_site(
    session: Session,
    actor: Actor,
    code: str,
    name: str,
    *,
    country: str | None = None,
    altitude_m: float | None = None,
    barometric_pressure_mmhg: float | None = None,
    timezone: str = "UTC",
) -> Site:
    actor.require("admin", to="add sites")
    code = code.strip().upper()
    if not code.isalnum() or not 2 <= len(code) <= 16:
        raise InvalidInput("site code: use 2-16 letters or digits, e.g. WUH", field="code")
    details = _checked(SiteDetails(name, country, altitude_m, barometric_pressure_mmhg, timezone))
    if session.scalar(select(Site.id).where(Site.code == code)) is not None:
        raise Conflict(f"site code {code!r} already exists", field="code")
    audit.attach(session, actor)
    site = Site(
        code=code,
        name=details.name,
        country=details.country,
        altitude_m=details.altitude_m,
        barometric_pressure_mmhg=details.barometric_pressure_mmhg,
        timezone=details.timezone,
    )
    session.add(site)
    session.commit()
    return site


def update_site(
    session: Session, actor: Actor, code: str, details: SiteDetails, *, reason: str
) -> Site:
    """Change a site's name, country, time zone, altitude or pressure, saying why (audited).

    The code stays: every subject code of the site begins with it.
    """
    actor.require("admin", to="edit sites")
    reason = audit.require_reason(reason, "edit a site")
    site = get_site(session, code)
    details = _checked(details)
    audit.attach(session, actor)
    with audit.because(session, reason, action="edit site"):
        site.name = details.name
        site.country = details.country
        site.altitude_m = details.altitude_m
        site.barometric_pressure_mmhg = details.barometric_pressure_mmhg
        site.timezone = details.timezone
    session.commit()
    return site


def get_site(session: Session, code: str) -> Site:
    site = session.scalar(select(Site).where(Site.code == code.strip().upper()))
    if site is None:
        raise NotFound(f"site: unknown site code {code!r}", field="site")
    return site


def list_sites(session: Session) -> list[Site]:
    return list(session.scalars(select(Site).order_by(Site.code)))


def site_zones(session: Session) -> dict[str, str]:
    """Each site's code → its IANA time zone, for showing times at the site."""
    return {code: tz or "UTC" for code, tz in session.execute(select(Site.code, Site.timezone))}
