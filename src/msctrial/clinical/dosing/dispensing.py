"""Dispensing (pharmacist, unblinded): issuing units of the subject's arm for one administration.

``plan_dispensing`` sizes one administration: how many units of what volume, and which units
(first expiry first). ``dispense_administration`` issues exactly that many units through
``msctrial.product.service.issue_units`` and refuses any other count or bag volume. Whether
they must be cells or placebo is decided here from the concealed allocation, never by the
caller. The size is the one a cells patient of the same weight gets, in both arms
(``protocol.dosing.size_administration`` on the first-expiry cells units in stock): a placebo
patient gets the same number of bags of the same volume, and the same volume is infused, so
ward staff cannot tell the arms apart (issue 9, hole 1). ``void_dispensation`` undoes a
dispensing error before the infusion. Both refuse a subject without consent and a schedule
rule broken without an investigator's override (``schedule.override_schedule``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

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
from msctrial.clinical.dosing.tables import Dispensation, DispensingRefusal
from msctrial.clinical.randomisation.allocation import allocation_of, arm_named
from msctrial.clinical.randomisation.tables import PlannedAdministration
from msctrial.clinical.subjects.access import check_time, get_subject, protocol_for
from msctrial.clinical.subjects.consent import require_consent
from msctrial.clinical.subjects.model import SubjectStatus
from msctrial.clinical.subjects.tables import Subject
from msctrial.core import audit
from msctrial.core.actors import Actor
from msctrial.core.db import utcnow
from msctrial.core.errors import RuleViolation
from msctrial.core.settings import Settings
from msctrial.product.schemas import IssuedUnit, UnitPublic
from msctrial.protocol import dosing
from msctrial.protocol.model import Dose, ProductKind, Protocol


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


def _randomised(session: Session, actor: Actor, subject_code: str, *, lock: bool = True) -> Subject:
    subject = get_subject(session, actor, subject_code, for_update=lock)
    if subject.status != SubjectStatus.randomised:
        raise RuleViolation(
            f"subject: {subject.subject_code} is {subject.status}; only a randomised subject "
            "is dosed",
            field="subject",
        )
    return subject


def cells_dose(protocol: Protocol) -> Dose:
    """The dose of the trial's cells arm: what sizes every administration, placebo too."""
    for arm in protocol.arms:
        dose = arm.dosing.dose if arm.dosing else None
        if arm.product is ProductKind.cells and dose is not None and dose.counts_cells:
            return dose
    raise RuleViolation("the protocol's cells arm states no cell dose to dispense", field="dose")


@dataclass(frozen=True)
class DispensingPlan:
    """One administration as the pharmacy prepares it (pharmacist only: it names the kind)."""

    subject_code: str
    administration_no: int
    kind: str
    weight_kg: float
    units: int
    unit_volume_ml: float
    volume_ml: float
    cells: float  # zero for placebo
    cells_per_unit: float | None  # the presentation the size assumes; None for placebo
    proposed: tuple[str, ...]  # first-expiry units of the subject's kind, `units` of them


def _size(
    protocol: Protocol, weight_kg: float, cells_stock: Sequence[UnitPublic]
) -> tuple[dosing.AdministrationSize, float]:
    """The size a cells patient of this weight gets now, and the cells per unit it assumes.

    Sized from the first-expiry cells units in stock: the units a cells patient is given.
    """
    reference = next((u for u in cells_stock if u.cells), None)
    if reference is None or reference.cells is None:
        # Placebo is refused too: dosing only placebo patients would tell the ward the arm.
        raise RuleViolation(
            "no released cells units are in stock to size this administration; placebo "
            "administrations are sized from them as well",
            field="unit_codes",
        )
    size = dosing.size_administration(
        cells_dose(protocol), weight_kg, reference.cells, reference.volume_ml
    )
    return size, reference.cells


def _plan(
    session: Session,
    actor: Actor,
    subject: Subject,
    administration_no: int,
    now: dt.datetime,
    settings: Settings | None,
) -> DispensingPlan:
    from msctrial.product import service as product

    allocation = allocation_of(session, subject)
    assert allocation is not None
    protocol = protocol_for(session, subject).protocol
    kind = product_kind_for(protocol, allocation.arm)
    weight = subject.dosing_weight_kg
    cells_stock = product.available_units(session, actor, kind="cells", now=now, settings=settings)
    size, per_unit = _size(protocol, weight, cells_stock)
    stock = (
        cells_stock
        if kind == "cells"
        else product.available_units(session, actor, kind=kind, now=now, settings=settings)
    )
    matching = [
        u.code
        for u in stock
        if u.volume_ml == size.unit_volume_ml and (kind != "cells" or u.cells == per_unit)
    ]
    return DispensingPlan(
        subject_code=subject.subject_code,
        administration_no=administration_no,
        kind=kind,
        weight_kg=weight,
        units=size.units,
        unit_volume_ml=size.unit_volume_ml,
        volume_ml=round(size.volume_ml, 1),
        cells=size.cells if kind == "cells" else 0.0,
        cells_per_unit=per_unit if kind == "cells" else None,
        proposed=tuple(matching[: size.units]),
    )


def plan_dispensing(
    session: Session,
    actor: Actor,
    subject_code: str,
    administration_no: int,
    *,
    now: dt.datetime | None = None,
    settings: Settings | None = None,
) -> DispensingPlan:
    """What the pharmacy must prepare for one administration, with the units to take."""
    subject = _randomised(session, actor, subject_code, lock=False)
    actor.require("pharmacist", site_id=subject.site_id, to="dispense at this site")
    get_administration(session, subject, administration_no)
    return _plan(session, actor, subject, administration_no, check_time(now, "now"), settings)


def _check_units(plan: DispensingPlan, issued: Sequence[IssuedUnit]) -> None:
    """Exactly the planned count of units of the planned volume; cells of one presentation."""
    if len(issued) != plan.units:
        raise RuleViolation(
            f"unit_codes: this administration needs exactly {plan.units} unit(s) of "
            f"{plan.unit_volume_ml:g} mL for {plan.weight_kg:g} kg; {len(issued)} given",
            field="unit_codes",
        )
    odd = [u.unit_code for u in issued if u.volume_ml != plan.unit_volume_ml]
    if odd:
        raise RuleViolation(
            f"unit_codes: unit {', '.join(odd)} is not a {plan.unit_volume_ml:g} mL unit; "
            "every administration uses units of that volume so the arms look alike",
            field="unit_codes",
        )
    other = [u.unit_code for u in issued if u.cells_per_unit != plan.cells_per_unit]
    if plan.kind == "cells" and other:
        raise RuleViolation(
            f"unit_codes: unit {', '.join(other)} holds another number of cells than the "
            f"first-expiry units ({plan.cells_per_unit:.3g} per unit) the dose was sized on; "
            "take the proposed units",
            field="unit_codes",
        )


def dispense_administration(
    session: Session,
    actor: Actor,
    subject_code: str,
    administration_no: int,
    *,
    unit_codes: Sequence[str] | None = None,
    thawed_at: dt.datetime,
    now: dt.datetime | None = None,
    settings: Settings | None = None,
) -> Dispensation:
    """Issue the planned units for one scheduled administration of a randomised subject.

    Without ``unit_codes`` the plan's proposed (first-expiry) units are issued. A refusal by
    a rule of the schedule or the product (a rule not overridden, no units, an unreleased,
    expired or recalled unit, a thaw past the hold time) is kept as a ``DispensingRefusal``
    before it is raised.
    """
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
    subject_id, site_id = subject.id, subject.site_id
    try:
        return _dispense(session, actor, subject, administration, unit_codes, thawed, now, settings)
    except RuleViolation as exc:
        session.rollback()
        _record_refusal(session, actor, subject_id, site_id, administration_no, exc, now)
        raise


def _record_refusal(
    session: Session,
    actor: Actor,
    subject_id: int,
    site_id: int,
    administration_no: int,
    exc: RuleViolation,
    now: dt.datetime,
) -> None:
    """Keep a refused dispensing (``DispensingRefusal``) in its own transaction."""
    audit.attach(session, actor)
    session.add(
        DispensingRefusal(
            subject_id=subject_id,
            site_id=site_id,
            administration_no=administration_no,
            field=exc.field,
            message=exc.message,
            refused_by=actor.audit_name,
            refused_at=now,
        )
    )
    session.commit()


def _dispense(
    session: Session,
    actor: Actor,
    subject: Subject,
    administration: PlannedAdministration,
    unit_codes: Sequence[str] | None,
    thawed: dt.datetime,
    now: dt.datetime,
    settings: Settings | None,
) -> Dispensation:
    from msctrial.product import service as product

    administration_no = administration.number
    refuse_unless_overridden(
        unresolved_problems(session, subject, administration, now, guidance_limits(settings))
    )
    plan = _plan(session, actor, subject, administration_no, now, settings)
    codes = list(unit_codes) if unit_codes else list(plan.proposed)
    if not codes:
        raise RuleViolation(
            f"unit_codes: no {plan.unit_volume_ml:g} mL {plan.kind} units are in stock",
            field="unit_codes",
        )
    issued = product.issue_units(
        session,
        actor,
        codes,
        kind=plan.kind,
        subject_code=subject.subject_code,
        site_id=subject.site_id,
        administration_no=administration_no,
        now=now,
        settings=settings,
    )
    _check_units(plan, issued)
    hold = min(u.max_hold_h for u in issued)
    if (now - thawed).total_seconds() / 3600 > hold:
        raise RuleViolation(
            "thawed_at: the units are already past their post-thaw window; thaw new units",
            field="thawed_at",
        )
    audit.attach(session, actor)
    dispensation = Dispensation(
        subject_id=subject.id,
        site_id=subject.site_id,
        administration_id=administration.id,
        unit_codes=[u.unit_code for u in issued],
        product_kind=plan.kind,
        lot_codes=sorted({u.lot_code for u in issued}),
        cells_total=plan.cells,
        volume_ml=plan.volume_ml,
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
