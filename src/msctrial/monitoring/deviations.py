"""The protocol deviations the platform can see, for gsm's PD and IPD KRIs (kri0003, kri0004).

msctrial records one kind itself: a dosing rule an investigator overrode with a reason (table
``protocol_deviation``: an infusion out of its window, an interval shorter than the protocol's,
an administration beyond the schedule). The others are derived from what it holds:

- ``visit_out_of_window``: a visit dated outside its protocol window (day 0 + day ± window;
  the screening visit and day 0 itself are not judged, they define day 0);
- ``visit_not_done``: a scheduled visit the site marked as not done;
- ``consent_after_procedure``: a screening observation or a form collected before the
  subject's first informed consent;
- ``possibly_ineligible``: a randomised subject counted by IE (not eligible at screening, or
  no pneumonia on the screening CT).

Which kinds are *important* (ICH E3 Q&A R1 2012: a deviation that may significantly affect
the completeness, accuracy or reliability of key data, or a subject's rights, safety or
well-being) is data: the ``deviations`` section of ``kri.yaml``, each with its reason. A kind
the configuration does not name counts as important, so a new kind is never hidden.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from msctrial.clinical.dosing.tables import ProtocolDeviation
from msctrial.clinical.subjects.tables import Consent, Screening
from msctrial.clinical.visits.tables import FormEntry, VisitRecord
from msctrial.clinical.visits.windows import Window, windows
from msctrial.protocol.service import get_protocol, only_trial

# Every kind this module can report; the first three are ``dosing.rules.DeviationKind``.
KINDS = (
    "out_of_window",
    "interval_too_short",
    "extra_administration",
    "visit_out_of_window",
    "visit_not_done",
    "consent_after_procedure",
    "possibly_ineligible",
)


@dataclass(frozen=True)
class Deviation:
    subject_id: int
    site_id: int
    kind: str
    detail: str


def derive_deviations(
    session: Session,
    enrolled: Mapping[int, tuple[int, dt.date]],
    possibly_ineligible: set[int],
) -> list[Deviation]:
    """Every deviation of the enrolled subjects (id -> (site id, day 0)), recorded or derived."""
    out = [
        Deviation(sid, site_id, kind, description)
        for sid, site_id, kind, description in session.execute(
            select(
                ProtocolDeviation.subject_id,
                ProtocolDeviation.site_id,
                ProtocolDeviation.kind,
                ProtocolDeviation.description,
            ).where(ProtocolDeviation.voided_at.is_(None))
        )
        if sid in enrolled
    ]
    out += _visits(session, enrolled)
    out += _consent(session, enrolled)
    out += [
        Deviation(sid, enrolled[sid][0], "possibly_ineligible", "randomised; see IE")
        for sid in sorted(possibly_ineligible)
        if sid in enrolled
    ]
    return out


def _visits(session: Session, enrolled: Mapping[int, tuple[int, dt.date]]) -> list[Deviation]:
    protocol = get_protocol(session, only_trial(session).code).protocol
    by_day0: dict[dt.date, dict[str, Window]] = {}  # the windows of each day 0, once
    out = []
    for sid, name, day, visit_date, not_done in session.execute(
        select(
            VisitRecord.subject_id,
            VisitRecord.visit_name,
            VisitRecord.study_day,
            VisitRecord.visit_date,
            VisitRecord.not_done_reason,
        )
    ):
        if sid not in enrolled:
            continue
        site_id, day0 = enrolled[sid]
        if not_done:
            out.append(Deviation(sid, site_id, "visit_not_done", f"{name}: {not_done}"))
            continue
        if visit_date is None or day <= 0:
            continue
        if day0 not in by_day0:
            by_day0[day0] = {w.visit.name: w for w in windows(protocol.visits, day0)}
        window = by_day0[day0].get(name)
        if window is not None and not window.contains(visit_date):
            out.append(
                Deviation(
                    sid,
                    site_id,
                    "visit_out_of_window",
                    f"{name} on {visit_date}, window {window.earliest} to {window.latest}",
                )
            )
    return out


def _consent(session: Session, enrolled: Mapping[int, tuple[int, dt.date]]) -> list[Deviation]:
    consented = {
        sid: at
        for sid, at in session.execute(
            select(Consent.subject_id, func.min(Consent.consented_at))
            .where(Consent.voided_at.is_(None))
            .group_by(Consent.subject_id)
        )
    }
    first: dict[int, dt.datetime] = {
        sid: at
        for sid, at in session.execute(
            select(Screening.subject_id, func.min(Screening.observed_at)).group_by(
                Screening.subject_id
            )
        )
    }
    for sid, at in session.execute(
        select(
            FormEntry.subject_id,
            func.min(func.coalesce(FormEntry.collected_at, FormEntry.entered_at)),
        )
        .where(FormEntry.voided_at.is_(None))
        .group_by(FormEntry.subject_id)
    ):
        at = _aware(at)
        if sid not in first or at < _aware(first[sid]):
            first[sid] = at
    out = []
    for sid, at in first.items():
        consent = consented.get(sid)
        if sid in enrolled and consent is not None and _aware(at) < _aware(consent):
            out.append(
                Deviation(
                    sid,
                    enrolled[sid][0],
                    "consent_after_procedure",
                    f"first procedure {at:%Y-%m-%d %H:%M}",
                )
            )
    return out


def _aware(at: dt.datetime) -> dt.datetime:
    """SQLite returns an aggregate's time without its zone; stored times are UTC."""
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)
