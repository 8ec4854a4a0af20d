"""Columns every clinical table shares: the subject, its site, and who recorded what when.

Each clinical row carries ``site_id``: it puts the row's audit entries on that site's trail
and is what site isolation filters on. Columns that would reveal the allocation (arm, product
kind, lot, cells given) are flagged ``BLINDED``: the audit trail seals their values and only
unblinded roles read them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from msctrial.core.db import UTCDateTime, utcnow

BLINDED = {"blinded": True}


class AtSite:
    """The site whose staff may see the row."""

    @declared_attr
    def site_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("site.id"))


class OfSubject(AtSite):
    """A row about one subject (indexed: every subject page reads by it)."""

    @declared_attr
    def subject_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("subject.id"), index=True)


class Recorded:
    """Who recorded the row, and when (UTC)."""

    @declared_attr
    def recorded_by(cls) -> Mapped[str]:
        return mapped_column(String(100))

    @declared_attr
    def recorded_at(cls) -> Mapped[dt.datetime]:
        return mapped_column(UTCDateTime(), default=utcnow)
