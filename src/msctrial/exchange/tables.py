"""Exchange tables: one row per export, so that every export is on the audit trail.

An export changes no data, but who took which data out of the system, when, in what scope and
as which view (blinded or not) is part of the trial's record (21 CFR Part 11 style). The row is
``Audited``: inserting it appends the hash-chained entry that says so.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from msctrial.core.db import Base, UTCDateTime, utcnow
from msctrial.core.tables import Audited


class ExportRecord(Audited, Base):
    """One export: its format and options, the sites it covered, the files and rows it wrote."""

    __tablename__ = "export_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)  # odm, sdtm, fhir, values, redcap
    options: Mapped[dict[str, Any]] = mapped_column(JSON)  # format, layout, site, metadata-only
    scope: Mapped[str] = mapped_column(String(200))  # "all sites" or the site codes
    # The one site the export covered, so that the site's staff read its entry in the trail.
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"), default=None)
    blinded: Mapped[bool] = mapped_column()
    files: Mapped[list[str]] = mapped_column(JSON)
    subjects: Mapped[int] = mapped_column()
    rows: Mapped[int] = mapped_column()
    exported_by: Mapped[str] = mapped_column(String(100))
    exported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
