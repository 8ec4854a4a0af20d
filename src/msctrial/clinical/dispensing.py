"""Dispensing (pharmacist) and the infusion record at the bedside: the chain of identity.

- ``dispense_administration(session, actor, subject_code, administration_no, unit_codes=[...],
  thawed_at=..., now=None, settings=None)`` (pharmacist of the site, unblinded): issues the
  units through ``msctrial.product.service.issue_units``. Whether they must be cells or placebo
  is decided here from the concealed allocation, never by the caller; for cells the total must
  cover the protocol's dose range for the subject's weight (``administration.py``).
- ``record_infusion(session, actor, subject_code, administration_no, scanned_unit_codes=[...],
  started_at=..., stopped_at=..., volume_ml=..., vitals_before={...}, vitals_after={...},
  premedication=None, reactions=[...], reaction_notes=None, settings=None)`` (investigator,
  coordinator or pharmacist of the site): every scanned unit must be a unit dispensed for this
  subject and administration, and every dispensed unit must be scanned; the infusion must end
  within the post-thaw window (CLINICAL_FACTS §5.4) and obey the schedule unless overridden.

Both refuse a subject without consent, and a schedule rule broken without an investigator's
override (``schedule.override_schedule``). ``void_dispensation(session, actor, subject_code,
administration_no, reason=...)`` undoes a dispensing error before the
infusion. What the bedside sees (``bedside_view``) has unit
codes and times only: no product kind, lot or cell count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from msctrial.clinical import administration as adm
from msctrial.clinical.model import SubjectStatus
from msctrial.clinical.randomise import allocation_of, arm_named, local_date
from msctrial.clinical.schedule import (
    active_dispensation,
    get_administration,
    given_infusions,
    guidance_limits,
    refuse_unless_overridden,
    unresolved_problems,
)
from msctrial.clinical.subjects import (
    check_time,
    get_subject,
    protocol_for,
    require_consent,
    site_of,
)
from msctrial.clinical.tables import Dispensation, Infusion, Subject
from msctrial.core import audit
from msctrial.core.db import utcnow
from msctrial.core.errors import InvalidInput, OutOfRange, RuleViolation, from_pydantic
from msctrial.core.settings import Settings
from msctrial.core.users import Actor
from msctrial.protocol.model import ProductKind, Protocol

BEDSIDE = ("investigator", "coordinator", "pharmacist")
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
        err = from_pydantic(exc, prefix=field)
        cls = (
            OutOfRange
            if any(e["type"] in ("greater_than_equal", "less_than_equal") for e in exc.errors())
            else InvalidInput
        )
        raise cls(err.message, field=err.field, **err.details) from None


def product_kind_for(protocol: Protocol, arm_name: str) -> str:
    """What the pharmacy gives this arm: cells or placebo (decided from the allocation)."""
    arm = arm_named(protocol, arm_name)
    if arm.product is ProductKind.cells:
        return "cells"
    if arm.product is ProductKind.placebo:
        return "placebo"
    raise RuleViolation(
        f"arm {arm.name!r} receives {arm.product.value}; the pharmacy dispenses only cells or "
        "placebo units",
        field="arm",
    )


def _randomised(session: Session, actor: Actor, subject_code: str) -> Subject:
    subject = get_subject(session, actor, subject_code, for_update=True)
    if subject.status != SubjectStatus.randomised:
        raise RuleViolation(
            f"subject: {subject.subject_code} is {subject.status}; only a randomised subject "
            "is dosed",
            field="subject",
        )
    return subject


def _cells_to_give(
    protocol: Protocol, arm_name: str, weight_kg: float, issued: Sequence[Any]
) -> tuple[float, float]:
    """Cells and volume to give from the issued units, within the protocol's dose range."""
    arm = arm_named(protocol, arm_name)
    dose = arm.dosing.dose if arm.dosing else None
    if dose is None or not dose.counts_cells:
        raise RuleViolation(f"arm {arm.name!r} states no cell dose to dispense", field="dose")
    low, high = adm.dose_cells_range(dose, weight_kg)
    per_unit = [(u.cells_per_unit or 0.0, u.volume_ml) for u in issued]
    supplied = sum(c for c, _ in per_unit)
    volume = sum(v for _, v in per_unit)
    if supplied < low:
        raise RuleViolation(
            f"unit_codes: the units hold {supplied:.3g} cells; the dose for "
            f"{weight_kg:g} kg needs at least {low:.3g}",
            field="unit_codes",
        )
    smallest = min(c for c, _ in per_unit)
    if len(per_unit) > 1 and supplied - smallest >= low:
        raise RuleViolation(
            "unit_codes: one unit fewer would still cover the dose; issue only what is needed",
            field="unit_codes",
        )
    if supplied <= high:
        return supplied, volume
    target = adm.target_cells(dose, weight_kg)
    return target, volume * target / supplied


def dispense_administration(
    session: Session,
    actor: Actor,
    subject_code: str,
    administration_no: int,
    *,
    unit_codes: Sequence[str],
    thawed_at: dt.datetime,
    now: dt.datetime | None = None,
    settings: Settings | None = None,
) -> Dispensation:
    """Issue units for one scheduled administration of a randomised subject."""
    from msctrial.product import service as product

    subject = _randomised(session, actor, subject_code)
    actor.require("pharmacist", site_id=subject.site_id, to="dispense at this site")
    now = check_time(now, "now")
    thawed = check_time(thawed_at, "thawed_at", now)
    require_consent(session, subject, now)
    administration = get_administration(session, subject, administration_no)
    if active_dispensation(session, administration) is not None:
        raise RuleViolation(
            f"administration {administration_no} of {subject.subject_code} is already dispensed",
            field="administration",
        )
    refuse_unless_overridden(
        unresolved_problems(session, subject, administration, now, guidance_limits(settings))
    )
    allocation = allocation_of(session, subject)
    assert allocation is not None
    protocol = protocol_for(session, subject).protocol
    kind = product_kind_for(protocol, allocation.arm)
    issued = product.issue_units(
        session,
        actor,
        list(unit_codes),
        kind=kind,
        subject_code=subject.subject_code,
        site_id=subject.site_id,
        administration_no=administration_no,
        now=now,
        settings=settings,
    )
    hold = min(u.max_hold_h for u in issued)
    if (now - thawed).total_seconds() / 3600 > hold:
        raise RuleViolation(
            "thawed_at: the units are already past their post-thaw window; thaw new units",
            field="thawed_at",
        )
    if kind == "cells":
        cells, volume = _cells_to_give(protocol, allocation.arm, subject.weight_kg, issued)
    else:
        cells, volume = 0.0, sum(u.volume_ml for u in issued)
    audit.attach(session, actor)
    dispensation = Dispensation(
        subject_id=subject.id,
        site_id=subject.site_id,
        administration_id=administration.id,
        unit_codes=[u.unit_code for u in issued],
        product_kind=kind,
        lot_codes=sorted({u.lot_code for u in issued}),
        cells_total=cells,
        volume_ml=round(volume, 1),
        thawed_at=thawed,
        max_hold_h=hold,
        dispensed_by=actor.audit_name,
        dispensed_at=now,
    )
    session.add(dispensation)
    session.commit()
    return dispensation


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


def record_infusion(
    session: Session,
    actor: Actor,
    subject_code: str,
    administration_no: int,
    *,
    scanned_unit_codes: Sequence[str],
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
    """Record an infusion after checking the scanned units against the dispensation."""
    from msctrial.product import service as product

    subject = _randomised(session, actor, subject_code)
    actor.require(*BEDSIDE, site_id=subject.site_id, to="record infusions at this site")
    now = utcnow()
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
    before = parse_vitals(vitals_before, "vitals_before")
    after = parse_vitals(vitals_after, "vitals_after")
    kinds = _check_reactions(reactions, reaction_notes)
    require_consent(session, subject, start)
    administration = get_administration(session, subject, administration_no)
    if any(i.administration_id == administration.id for i in given_infusions(session, subject)):
        raise RuleViolation(
            f"administration {administration_no} of {subject.subject_code} was already given",
            field="administration",
        )
    dispensation = active_dispensation(session, administration)
    if dispensation is None:
        raise RuleViolation(
            f"administration {administration_no} of {subject.subject_code} has not been "
            "dispensed; the pharmacy dispenses it first",
            field="administration",
        )
    scanned = [c.strip().upper() for c in scanned_unit_codes if c and c.strip()]
    if not scanned:
        raise InvalidInput(
            "scanned_unit_codes: scan the unit's barcode", field="scanned_unit_codes"
        )
    dispensed = list(dispensation.unit_codes)
    wrong = [c for c in scanned if c not in dispensed]
    if wrong:
        raise RuleViolation(
            f"scanned_unit_codes: unit {', '.join(wrong)} was not dispensed for "
            f"{subject.subject_code} administration {administration_no}; do not infuse it",
            field="scanned_unit_codes",
        )
    missing = [c for c in dispensed if c not in scanned]
    if missing:
        raise RuleViolation(
            f"scanned_unit_codes: scan every unit dispensed for this administration; "
            f"not scanned: {', '.join(missing)}",
            field="scanned_unit_codes",
        )
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
    audit.attach(session, actor)
    if subject.day0_date is None:
        # Day 0 is the first administration in this protocol (design.day0_event).
        with audit.because(session, "day 0: first administration", action="day0"):
            subject.day0_date = local_date(start, site_of(session, subject))
    refuse_unless_overridden(
        unresolved_problems(session, subject, administration, start, guidance_limits(settings))
    )
    for code in scanned:
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
        scanned_unit_codes=scanned,
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


def void_dispensation(
    session: Session,
    actor: Actor,
    subject_code: str,
    administration_no: int,
    *,
    reason: str | None,
) -> Dispensation:
    """Undo a dispensing error before the infusion; the administration can be dispensed again.

    The units are discarded: every dispensation records a thaw, and thawed cells are never
    frozen again.
    """
    from msctrial.product import service as product

    subject = _randomised(session, actor, subject_code)
    actor.require("pharmacist", site_id=subject.site_id, to="void a dispensation at this site")
    why = audit.require_reason(reason, "void a dispensation")
    administration = get_administration(session, subject, administration_no)
    dispensation = active_dispensation(session, administration)
    if dispensation is None:
        raise RuleViolation(
            f"administration {administration_no} of {subject.subject_code} is not dispensed",
            field="administration",
        )
    if any(i.dispensation_id == dispensation.id for i in given_infusions(session, subject)):
        raise RuleViolation(
            "the units were infused; record what happened instead of voiding the dispensation",
            field="administration",
        )
    now = utcnow()
    for code in dispensation.unit_codes:
        product.void_issue(session, actor, code, reason=why, now=now)
    audit.attach(session, actor)
    with audit.because(session, why, action="void"):
        dispensation.voided_at = now
        dispensation.void_reason = why
    session.commit()
    return dispensation


def dispensations_of(session: Session, subject: Subject) -> list[Dispensation]:
    return list(
        session.scalars(
            select(Dispensation)
            .where(Dispensation.subject_id == subject.id)
            .order_by(Dispensation.dispensed_at)
        )
    )
