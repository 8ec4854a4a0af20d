"""The infusion record at the bedside: the chain of identity from dispensed unit to patient.

``record_infusion`` (investigator, coordinator or pharmacist of the site) is recorded after
the infusion, against the passed bedside check it started after (``bedside.verify_at_bedside``:
every dispensed unit scanned and checked before the bag was hung); the infusion must end
within the post-thaw window (CLINICAL_FACTS §5.4) and obey the schedule unless overridden. What the bedside sees has unit codes and times only: no product
kind, lot or cell count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from msctrial.clinical.dosing.bedside import BEDSIDE, check_to_infuse
from msctrial.clinical.dosing.dispensing import _randomised
from msctrial.clinical.dosing.schedule import (
    active_dispensation,
    get_administration,
    given_infusions,
    guidance_limits,
    refuse_unless_overridden,
    unresolved_problems,
)
from msctrial.clinical.dosing.tables import Dispensation, Infusion
from msctrial.clinical.subjects.access import check_time, site_of
from msctrial.clinical.subjects.consent import require_consent
from msctrial.clinical.subjects.tables import Subject
from msctrial.core import audit
from msctrial.core.actors import Actor
from msctrial.core.db import utcnow
from msctrial.core.errors import InvalidInput, OutOfRange, RuleViolation
from msctrial.core.localtime import site_local_date
from msctrial.core.settings import Settings
from msctrial.core.validation import explain

__all__ = ["BEDSIDE", "REACTIONS", "Vitals", "parse_vitals", "record_infusion"]


# An infusion of 100 mL runs in well under an hour; a record longer than this is an entry error.
MAX_INFUSION = dt.timedelta(hours=12)


MAX_VOLUME_ML = 2000.0  # as the protocol model's volume_ml bound


# The expected infusion reactions the guidance asks to follow (CLINICAL_FACTS §7; DOMAIN §2).
REACTIONS = ("fever", "chills", "allergic_reaction", "local_inflammation", "other")


class Vitals(BaseModel):
    """Vital signs before or after an infusion; hard ranges CLINICAL_FACTS §4.3."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    heart_rate: float = Field(ge=20, le=250, description="beats/min")
    systolic_bp: float = Field(ge=40, le=300, description="mmHg")
    diastolic_bp: float = Field(ge=20, le=200, description="mmHg (engineering limit, D)")
    respiratory_rate: float = Field(ge=4, le=80, description="/min")
    temperature_c: float = Field(ge=30.0, le=45.0, description="°C")
    spo2_pct: float = Field(ge=50, le=100, description="%")


def parse_vitals(data: Mapping[str, Any] | None, field: str) -> Vitals:
    if not isinstance(data, Mapping):
        raise InvalidInput(
            f"{field}: give heart_rate, systolic_bp, diastolic_bp, respiratory_rate, "
            "temperature_c and spo2_pct",
            field=field,
        )
    try:
        return Vitals.model_validate(dict(data))
    except ValidationError as exc:
        err = explain(exc, prefix=field)
        cls = (
            OutOfRange
            if any(e["type"] in ("greater_than_equal", "less_than_equal") for e in exc.errors())
            else InvalidInput
        )
        raise cls(err.message, field=err.field, **err.details) from None


def _check_reactions(reactions: Sequence[str] | None, notes: str | None) -> list[str]:
    out = []
    for r in reactions or ():
        if r not in REACTIONS:
            raise InvalidInput(
                f"reactions: {r!r} is not an expected reaction; allowed: {', '.join(REACTIONS)}",
                field="reactions",
            )
        if r not in out:
            out.append(r)
    if "other" in out and not (notes or "").strip():
        raise InvalidInput("reaction_notes: describe the other reaction", field="reaction_notes")
    return out


def _infusion_times(
    started_at: dt.datetime, stopped_at: dt.datetime, volume_ml: float, now: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """Start and stop as entered, in order and plausible; the volume within bounds."""
    start = check_time(started_at, "started_at", now)
    stop = check_time(stopped_at, "stopped_at", now)
    if stop < start:
        raise InvalidInput(
            "stopped_at: the infusion cannot stop before it starts", field="stopped_at"
        )
    if stop - start > MAX_INFUSION:
        raise OutOfRange(
            "stopped_at: an infusion longer than 12 h is not plausible", field="stopped_at"
        )
    if not isinstance(volume_ml, int | float) or not 0 < volume_ml <= MAX_VOLUME_ML:
        raise OutOfRange(
            f"volume_ml: give the volume infused, 0-{MAX_VOLUME_ML:g} mL", field="volume_ml"
        )
    return start, stop


def _dispensed_and_not_given(
    session: Session, subject: Subject, administration: Any
) -> Dispensation:
    number = administration.number
    if any(i.administration_id == administration.id for i in given_infusions(session, subject)):
        raise RuleViolation(
            f"administration {number} of {subject.subject_code} was already given",
            field="administration",
        )
    dispensation = active_dispensation(session, administration)
    if dispensation is None:
        raise RuleViolation(
            f"administration {number} of {subject.subject_code} has not been "
            "dispensed; the pharmacy dispenses it first",
            field="administration",
        )
    return dispensation


def _within_thaw_window(dispensation: Dispensation, start: dt.datetime, stop: dt.datetime) -> None:
    if start < dispensation.thawed_at:
        raise InvalidInput(
            "started_at: the infusion cannot start before the units were thawed "
            f"({dispensation.thawed_at:%Y-%m-%d %H:%M} UTC)",
            field="started_at",
        )
    # CLINICAL_FACTS §5.4: the window runs from thaw to the end of the infusion. The number of
    # hours is not shown: a placebo with another window would tell blinded staff the arm.
    if (stop - dispensation.thawed_at).total_seconds() / 3600 > dispensation.max_hold_h:
        raise RuleViolation(
            "stopped_at: the infusion would end past the product's post-thaw window; do not "
            "infuse these units, ask the pharmacy for new ones",
            field="stopped_at",
        )


def record_infusion(
    session: Session,
    actor: Actor,
    subject_code: str,
    administration_no: int,
    *,
    bedside_check_id: int | None,
    started_at: dt.datetime,
    stopped_at: dt.datetime,
    volume_ml: float,
    vitals_before: Mapping[str, Any],
    vitals_after: Mapping[str, Any],
    premedication: str | None = None,
    reactions: Sequence[str] | None = None,
    reaction_notes: str | None = None,
    settings: Settings | None = None,
) -> Infusion:
    """Record an infusion given after a passed bedside check of its units."""
    from msctrial.product import service as product

    subject = _randomised(session, actor, subject_code)
    actor.require(*BEDSIDE, site_id=subject.site_id, to="record infusions at this site")
    start, stop = _infusion_times(started_at, stopped_at, volume_ml, utcnow())
    before = parse_vitals(vitals_before, "vitals_before")
    after = parse_vitals(vitals_after, "vitals_after")
    kinds = _check_reactions(reactions, reaction_notes)
    require_consent(session, subject, start)
    administration = get_administration(session, subject, administration_no)
    dispensation = _dispensed_and_not_given(session, subject, administration)
    check = check_to_infuse(
        session, subject, administration.id, dispensation, bedside_check_id, start
    )
    _within_thaw_window(dispensation, start, stop)
    audit.attach(session, actor)
    if subject.day0_date is None:
        # Day 0 is the first administration in this protocol (design.day0_event).
        with audit.because(session, "day 0: first administration", action="day0"):
            subject.day0_date = site_local_date(start, site_of(session, subject))
    refuse_unless_overridden(
        unresolved_problems(session, subject, administration, start, guidance_limits(settings))
    )
    for code in check.scanned_unit_codes:
        product.record_unit_use(
            session,
            actor,
            code,
            subject_code=subject.subject_code,
            administration_no=administration_no,
            infused_at=start,
            thawed_at=dispensation.thawed_at,
            settings=settings,
        )
    infusion = Infusion(
        subject_id=subject.id,
        site_id=subject.site_id,
        administration_id=administration.id,
        dispensation_id=dispensation.id,
        bedside_check_id=check.id,
        scanned_unit_codes=list(check.scanned_unit_codes),
        started_at=start,
        stopped_at=stop,
        volume_ml=float(volume_ml),
        vitals_before=before.model_dump(),
        vitals_after=after.model_dump(),
        premedication=(premedication or "").strip() or None,
        reactions=kinds,
        reaction_notes=(reaction_notes or "").strip() or None,
        recorded_by=actor.audit_name,
    )
    session.add(infusion)
    session.commit()
    return infusion
