"""What the clinical pages share: reading form numbers and site-clock date-times."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from msctrial.clinical.subjects.access import get_subject, site_of
from msctrial.core.actors import Actor
from msctrial.core.errors import InvalidInput

VITALS = (
    "heart_rate",
    "systolic_bp",
    "diastolic_bp",
    "respiratory_rate",
    "temperature_c",
    "spo2_pct",
)


def site_zone(name: str | None) -> ZoneInfo:
    """The site's time zone; UTC when the stored name is not one the system knows."""
    try:
        return ZoneInfo(name or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def local_time(text: str | None, field: str, zone_name: str | None) -> dt.datetime | None:
    """A form's date-time (site clock, or with an explicit offset) as an aware datetime."""
    if not text or not text.strip():
        return None
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"{field}: {text!r} is not a date and time, e.g. 2026-03-02T09:30", field=field
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=site_zone(zone_name))


def form_number(form: FormData, name: str) -> float | None:
    raw = str(form.get(name) or "").strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise InvalidInput(f"{name}: {raw!r} is not a number", field=name) from None


def zone_of(db: Session, actor: Actor, code: str) -> str:
    """The time zone name of a subject's site (the subject must be visible to the actor)."""
    return site_of(db, get_subject(db, actor, code)).timezone
