"""What the exporting user may see, read through the clinical read side into ``TrialData``.

Subjects come from the casebook's ``subject_list`` (an arm only for a reader the service
unblinds), values from its ``export_values_csv`` listing (site-scoped, no arm), adverse events
from ``safety.views.list_aes`` and infusions from ``subject_detail``: the unblinded dispensation
type, with its product kind, lots and volume, is given to unblinded readers only. The blinded
reader's infusions keep only their number and times.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from sqlalchemy.orm import Session

from msctrial.clinical.casebook.listings import export_values_csv
from msctrial.clinical.casebook.record import subject_detail, subject_list
from msctrial.clinical.dosing.schemas import DispensationUnblinded
from msctrial.clinical.safety.views import list_aes
from msctrial.clinical.subjects.access import trial_for, visible_sites
from msctrial.clinical.subjects.schemas import SubjectUnblinded
from msctrial.clinical.visits.forms import catalogue
from msctrial.core.actors import Actor
from msctrial.core.db import utcnow
from msctrial.exchange.model import (
    AdverseEventRecord,
    FormMeta,
    InfusionRecord,
    ItemMeta,
    StudyMeta,
    SubjectRecord,
    TrialData,
    ValueRecord,
    VisitMeta,
)
from msctrial.protocol.service import get_protocol


def _limits(lim: object) -> tuple[float | None, float | None] | None:
    return None if lim is None else (lim.low, lim.high)  # type: ignore[attr-defined]


def study_meta(session: Session, trial_code: str | None = None) -> StudyMeta:
    """The trial's protocol and the forms its visits use, in schedule order."""
    trial = trial_for(session, trial_code)
    stored = get_protocol(session, trial.code)
    protocol = stored.protocol
    used = list(dict.fromkeys(f for v in protocol.visits for f in v.forms))
    forms = catalogue()
    return StudyMeta(
        code=trial.code,
        title=protocol.title,
        protocol_version=protocol.version,
        arms=tuple(a.name for a in protocol.arms),
        visits=tuple(
            VisitMeta(v.name, v.day, v.window_days, tuple(v.forms)) for v in protocol.visits
        ),
        forms=tuple(
            FormMeta(
                name,
                forms[name].label,
                tuple(
                    ItemMeta(
                        name=i.name,
                        label=i.label,
                        kind=i.kind.value,
                        unit=i.unit,
                        hard=_limits(i.hard),
                        soft=_limits(i.soft),
                        choices=i.choices,
                        required=i.required,
                        derived=i.derived,
                        reference=i.reference,
                    )
                    for i in forms[name].items
                ),
            )
            for name in used
        ),
    )


def _date(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _values(session: Session, actor: Actor) -> tuple[ValueRecord, ...]:
    reader = csv.DictReader(io.StringIO(export_values_csv(session, actor)))
    return tuple(
        ValueRecord(
            subject=row["subject"],
            visit=row["visit"],
            visit_date=_date(row["visit_date"]),
            form=row["form"],
            item=row["item"],
            number=float(row["value"]) if row["value"] else None,
            unit=row["unit"] or None,
            text=row["text"] or None,
        )
        for row in reader
    )


def _infusions(session: Session, actor: Actor, code: str, blinded: bool) -> list[InfusionRecord]:
    detail = subject_detail(session, actor, code)
    dispensed = {
        d.administration_no: d
        for d in detail.dispensations
        if isinstance(d, DispensationUnblinded) and not d.voided
    }
    out = []
    for inf in detail.infusions:
        d = None if blinded else dispensed.get(inf.administration_no)
        out.append(
            InfusionRecord(
                subject=code,
                number=inf.administration_no,
                started_at=inf.started_at,
                stopped_at=inf.stopped_at,
                product_kind=d.product_kind if d else None,
                lots=tuple(d.lot_codes) if d else (),
                volume_ml=inf.volume_ml if d else None,
            )
        )
    return out


def gather(
    session: Session,
    actor: Actor,
    *,
    metadata_only: bool = False,
    values: bool = True,
    now: dt.datetime | None = None,
) -> TrialData:
    """The study metadata and, unless ``metadata_only``, everything ``actor`` may see of it;
    without the form values if not ``values`` (a streamed export reads them itself)."""
    visible_sites(actor)  # refuses a user with no role that reads subjects
    study = study_meta(session)
    data = TrialData(
        study=study,
        blinded=actor.is_blinded,
        exported_by=actor.audit_name,
        exported_at=now or utcnow(),
        metadata_only=metadata_only,
    )
    if metadata_only:
        return data
    subjects = []
    infusions: list[InfusionRecord] = []
    for s in subject_list(session, actor):
        arm = s.arm if isinstance(s, SubjectUnblinded) and not actor.is_blinded else None
        subjects.append(
            SubjectRecord(
                code=s.subject_code,
                site=s.site,
                sex=s.sex,
                year_of_birth=s.year_of_birth,
                status=s.status,
                severity=s.severity,
                day0=s.day0_date,
                randomised_at=s.randomised_at,
                arm=arm,
            )
        )
        if s.day0_date is not None:
            infusions += _infusions(session, actor, s.subject_code, actor.is_blinded)
    aes = tuple(
        AdverseEventRecord(
            subject=ae.subject,
            number=ae.number,
            term=ae.term,
            onset=ae.onset_date,
            end=ae.end_date,
            grade=ae.grade,
            serious=ae.serious,
            related=ae.related,
            outcome=ae.outcome,
        )
        for ae in list_aes(session, actor)
        if not ae.voided
    )
    return TrialData(
        study=study,
        blinded=data.blinded,
        exported_by=data.exported_by,
        exported_at=data.exported_at,
        subjects=tuple(subjects),
        values=_values(session, actor) if values else (),
        adverse_events=aes,
        infusions=tuple(infusions),
    )
