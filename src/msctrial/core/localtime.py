"""A site's calendar: its time zone, local dates and the end of a local day. Pure.

Study days, visit windows and "today" are the site's, not UTC's: a patient dosed at 01:00 in
Wuhan on 3 March is on 3 March, although it is still 2 March in UTC. A site whose stored zone
name the system does not know falls back to UTC rather than failing the request.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class HasTimezone(Protocol):
    @property
    def timezone(self) -> str | None: ...


def zone(name: str | None) -> ZoneInfo:
    """The IANA zone ``name``; UTC when it is empty or unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def site_local_date(when: dt.datetime, site: HasTimezone) -> dt.date:
    """The calendar date at the site, which is what study days count."""
    return when.astimezone(zone(site.timezone)).date()


def end_of_day(day: dt.date, zone_name: str | None) -> dt.datetime:
    """The last second of ``day`` in the zone, in UTC."""
    end = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=zone(zone_name))
    return end.astimezone(dt.UTC)


def local_moment(day: dt.date, hour: float, zone_name: str | None) -> dt.datetime:
    """``hour`` (a fraction of a day allowed) on ``day`` at the site, in UTC."""
    start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=zone(zone_name))
    return (start + dt.timedelta(hours=hour)).astimezone(dt.UTC)
