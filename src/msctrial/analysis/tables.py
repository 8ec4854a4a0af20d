"""Analysis tables: one row each time a reader is given the unblinded report.

The DSMB's report names the arms; who read it, when and through which door is part of the
trial's record (issue 10: "``--unblinded`` needs the dsmb role and is an audit entry"). The row
is ``Audited``: inserting it appends the chained entry that says so.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from msctrial.core.db import Base, UTCDateTime, utcnow
from msctrial.core.tables import Audited


class UnblindedReport(Audited, Base):
    """The unblinded statistical report, produced for one reader."""

    __tablename__ = "unblinded_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    reader: Mapped[str] = mapped_column(String(100), index=True)
    door: Mapped[str] = mapped_column(String(16))  # cli or web
    produced_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
