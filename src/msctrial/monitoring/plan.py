"""The risk-adapted monitoring plan: per site its risk score, the intensity it earns, and the
critical data to verify with the records that need it now.

Critical data (ICH E6(R2) 5.0.1, E6(R3) critical-to-quality factors): informed consent,
eligibility, the product's identity at the bedside, the primary endpoint and serious adverse
events. "Now" is the plan's window (``plan.recent_days``): the records created since the last
monitoring cycle. The records are named by subject and visit or infusion, never by lot or arm.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from msctrial.clinical.dosing.tables import Infusion
from msctrial.clinical.safety.tables import AdverseEvent
from msctrial.clinical.subjects.tables import Consent, Screening, Subject
from msctrial.clinical.visits.tables import FormEntry, FormValue, VisitRecord
from msctrial.core.tables import Site
from msctrial.monitoring.scorecard import default_scorecard
from msctrial.protocol.service import get_protocol, only_trial

CRITICAL = ("consent", "eligibility", "product_identity", "primary_endpoint", "sae")
# How many records of one kind the plan names; the count says how many there are in all.
NAMED = 10


@dataclass
class CriticalData:
    data: str
    records: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"data": self.data, "count": len(self.records), "records": self.records[:NAMED]}


@dataclass(frozen=True)
class SitePlan:
    site: str
    risk_score: float
    intensity: str
    flagged: list[str]
    critical_data: list[CriticalData]

    def to_dict(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "risk_score": round(self.risk_score, 1),
            "intensity": self.intensity,
            "flagged": self.flagged,
            "critical_data": [c.to_dict() for c in self.critical_data],
        }


def recent_critical_records(
    session: Session, since: dt.datetime, site_codes: set[str]
) -> dict[str, dict[str, CriticalData]]:
    """Per site code, each kind of critical data with the records created since ``since``."""
    sites = {s.id: s.code for s in session.scalars(select(Site))}
    out: dict[str, dict[str, CriticalData]] = defaultdict(
        lambda: {kind: CriticalData(kind) for kind in CRITICAL}
    )
    codes = {
        sid: code
        for sid, code in session.execute(
            select(Subject.id, Subject.subject_code).where(Subject.voided_at.is_(None))
        )
    }

    def add(kind: str, site_id: int, subject_id: int, what: str = "") -> None:
        code = sites[site_id]
        if code in site_codes and subject_id in codes:
            out[code][kind].records.append(f"{codes[subject_id]}{what}")

    for sid, site_id in session.execute(
        select(Consent.subject_id, Consent.site_id).where(
            Consent.voided_at.is_(None), Consent.recorded_at >= since
        )
    ):
        add("consent", site_id, sid)
    for sid, site_id in session.execute(
        select(Screening.subject_id, Screening.site_id).where(Screening.recorded_at >= since)
    ):
        add("eligibility", site_id, sid)
    for infusion_id, sid, site_id in session.execute(
        select(Infusion.id, Infusion.subject_id, Infusion.site_id).where(
            Infusion.voided_at.is_(None), Infusion.started_at >= since
        )
    ):
        add("product_identity", site_id, sid, f" infusion {infusion_id}")
    for number, sid, site_id in session.execute(
        select(AdverseEvent.number, AdverseEvent.subject_id, AdverseEvent.site_id).where(
            AdverseEvent.voided_at.is_(None),
            AdverseEvent.serious.is_(True),
            AdverseEvent.reported_at >= since,
        )
    ):
        add("sae", site_id, sid, f" AE {number}")
    for sid, site_id, visit in _endpoint_values(session, since):
        add("primary_endpoint", site_id, sid, f" {visit}")
    return out


def _endpoint_values(session: Session, since: dt.datetime) -> list[tuple[int, int, str]]:
    """(subject, site, visit) of the primary endpoint's values at its time points, entered
    since ``since``."""
    protocol = get_protocol(session, only_trial(session).code).protocol
    items = default_scorecard().endpoint_items
    visit_day = {v.name: v.day for v in protocol.visits}
    wanted: set[tuple[str, str, str]] = set()  # visit name, form, item
    for endpoint in protocol.endpoints.primary:
        target = items.get(endpoint.measure.value)
        if target is None:
            continue
        for name, day in visit_day.items():
            if day in endpoint.time_points:
                wanted.add((name, target[0], target[1]))
    if not wanted:
        return []
    rows = session.execute(
        select(
            FormEntry.subject_id,
            FormEntry.site_id,
            VisitRecord.visit_name,
            FormEntry.form,
            FormValue.item,
        )
        .join(VisitRecord, VisitRecord.id == FormEntry.visit_id)
        .join(FormValue, FormValue.entry_id == FormEntry.id)
        .where(FormEntry.voided_at.is_(None), FormEntry.entered_at >= since)
    )
    return [
        (sid, site_id, visit)
        for sid, site_id, visit, form, item in rows
        if (visit, form, item) in wanted
    ]
