"""Sites: the hospitals of a multicentre trial."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from msctrial.core import audit
from msctrial.core.actors import Actor
from msctrial.core.errors import Conflict, InvalidInput, NotFound
from msctrial.core.tables import Site


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
    if altitude_m is not None and not -500 <= altitude_m <= 6000:
        raise InvalidInput("altitude_m: must lie between -500 and 6000 m", field="altitude_m")
    if barometric_pressure_mmhg is not None and not 300 <= barometric_pressure_mmhg <= 800:
        raise InvalidInput(
            "barometric_pressure_mmhg: must lie between 300 and 800 mmHg",
            field="barometric_pressure_mmhg",
        )
    if session.scalar(select(Site.id).where(Site.code == code)) is not None:
        raise Conflict(f"site code {code!r} already exists", field="code")
    audit.attach(session, actor)
    site = Site(
        code=code,
        name=name,
        country=country.upper() if country else None,
        altitude_m=altitude_m,
        barometric_pressure_mmhg=barometric_pressure_mmhg,
        timezone=timezone,
    )
    session.add(site)
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
