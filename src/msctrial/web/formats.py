"""Dates, times and numbers as the reader's language writes them, times at the site.

Storage is UTC; a page shows each time in the local time of the site it happened at, with
its offset (``2026年3月3日 09:15 UTC+8``), as the forms already take it. A time that belongs
to no site is shown in the page's zone: the reader's site, or the trial's when every site
shares one zone, else UTC.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal
from jinja2 import pass_context
from jinja2.runtime import Context

from msctrial.core.localtime import zone
from msctrial.web.i18n import BABEL_LOCALES, DEFAULT


def offset_label(moment: dt.datetime) -> str:
    """``UTC``, ``UTC+8``, ``UTC+5:30``, ``UTC-3``: unambiguous in every language."""
    offset = moment.utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def local_time(value: dt.datetime, zone_name: str | None, language: str) -> str:
    """``value`` at the zone, in the language's date style, with a 24-hour clock and offset."""
    if value.tzinfo is None:  # stored times are UTC (DESIGN.md "Time")
        value = value.replace(tzinfo=dt.UTC)
    moment = value.astimezone(zone(zone_name))
    # The 24-hour clock is written alike in both languages; only the date is Babel's.
    return f"{local_date(moment.date(), language)} {moment:%H:%M} {offset_label(moment)}"


@functools.lru_cache(maxsize=4096)
def local_date(value: dt.date, language: str) -> str:
    """Cached: a list of 2,000 rows holds few distinct days, and Babel's formatting is slow."""
    return format_date(value, "medium", locale=BABEL_LOCALES.get(language, "en"))


def page_zone(site_codes: frozenset[str], zones: Mapping[str, str]) -> str:
    """The zone of times that name no site: the reader's sites', else all sites', else UTC."""
    for codes in (site_codes & zones.keys(), zones.keys()):
        distinct = {zones[c] for c in codes}
        if len(distinct) == 1:
            return distinct.pop()
    return "UTC"


@pass_context
def when(ctx: Context, value: dt.datetime | dt.date | None, site: str | None = None) -> str:
    """A time at ``site`` (a site code), else in the page's zone; a date in the reader's style."""
    if value is None:
        return "—"
    language = ctx.get("locale") or DEFAULT
    if not isinstance(value, dt.datetime):
        return local_date(value, language)
    zones: Mapping[str, str] = ctx.get("site_zones") or {}
    zone_name = zones.get(site or "") or ctx.get("page_zone") or "UTC"
    return local_time(value, zone_name, language)


@pass_context
def day(ctx: Context, value: dt.date | str | None) -> str:
    """A calendar date (an expiry, a registration) in the reader's style."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            return local_date(dt.date.fromisoformat(value), ctx.get("locale") or DEFAULT)
        except ValueError:
            return value
    return local_date(value, ctx.get("locale") or DEFAULT)


@pass_context
def number(ctx: Context, value: Any, digits: int = 3) -> str:
    """A count or measurement with the language's grouping, at most ``digits`` decimals."""
    if value is None:
        return "—"
    loc = BABEL_LOCALES.get(ctx.get("locale") or DEFAULT, "en")
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=loc)
