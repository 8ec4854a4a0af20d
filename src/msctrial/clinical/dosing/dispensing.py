"""Dispensing (pharmacist, unblinded): issuing units of the subject's arm for one administration.

``dispense_administration`` issues the units through ``msctrial.product.service.issue_units``.
Whether they must be cells or placebo is decided here from the concealed allocation, never by
the caller; for cells the total must cover the protocol's dose range for the subject's weight
(``rules.dose_cells_range``). ``void_dispensation`` undoes a dispensing error before the
infusion. Both refuse a subject without consent and a schedule rule broken without an
investigator's override (``schedule.override_schedule``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from msctrial.clinical.dosing.schedule import (
    active_dispensation,
    get_administration,
    given_infusions,
    guidance_limits,
    refuse_unless_overridden,
    unresolved_problems,
)
from msctrial.clinical.dosing.tables import Dispensation
from msctrial.clinical.randomisation.allocation import allocation_of, arm_named
from msctrial.clinical.subjects.access import check_time, get_subject, protocol_for
from msctrial.clinical.subjects.consent import require_consent
from msctrial.clinical.subjects.model import SubjectStatus
from msctrial.clinical.subjects.tables import Subject
from msctrial.core import audit
from msctrial.core.actors import Actor
from msctrial.core.db import utcnow
from msctrial.core.errors import RuleViolation
from msctrial.core.settings import Settings
from msctrial.protocol import dosing
from msctrial.protocol.model import ProductKind, Protocol


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
    low, high = dosing.dose_cells_range(dose, weight_kg)
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
    target = dosing.target_cells(dose, weight_kg)
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
        cells, volume = _cells_to_give(protocol, allocation.arm, subject.dosing_weight_kg, issued)
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
