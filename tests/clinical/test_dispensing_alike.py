"""Placebo and cells look the same at the bedside: bag count and volume follow the weight only.

Issue 9, hole 1: the service sizes every administration as a cells patient of the same
weight would get it (dose per kg × weight over the first-expiry cells units' concentration)
and refuses any other count or bag volume, so ward staff cannot tell the arms apart.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from msctrial.clinical.dosing.dispensing import dispense_administration, plan_dispensing
from msctrial.clinical.randomisation.service import randomise_subject
from msctrial.clinical.randomisation.tables import Allocation
from msctrial.clinical.subjects.tables import Subject
from msctrial.core import audit
from msctrial.core.actors import Actor
from msctrial.core.errors import RuleViolation
from msctrial.product.tables import Lot, Unit
from tests.clinical.conftest import enrol

# The demo protocol: 2×10^6 cells/kg (single value, ±10%); the stock: 5×10^7 cells per 50 mL.
WEIGHTS = (48.0, 72.0, 95.0, 118.0)


def _randomised(session, trial, weight_kg: float) -> tuple[str, str]:
    inv = trial.actor("investigator")
    code = enrol(session, inv, weight_kg=weight_kg)
    randomise_subject(session, inv, code, password=trial.passwords["investigator"])
    arm = session.scalar(select(Allocation.arm).join(Subject).where(Subject.subject_code == code))
    return code, arm


def _one_of_each_arm(session, trial, weight_kg: float) -> dict[str, str]:
    """Randomise patients of this weight until both arms have one (blocks make it quick)."""
    by_arm: dict[str, str] = {}
    for _ in range(12):
        code, arm = _randomised(session, trial, weight_kg)
        by_arm.setdefault(arm, code)
        if len(by_arm) == 2:
            return by_arm
    raise AssertionError("twelve randomisations gave only one arm")


def _more_units(session, kind: str, n: int, volume_ml: float = 50.0) -> list[str]:
    """Add units to the test stock's lot of ``kind`` (the fixture holds ten of each)."""
    lot = session.scalar(select(Lot).where(Lot.code == f"LOT-{kind.upper()}-1"))
    audit.attach(session, Actor.system_actor("test-stock"))
    start = session.query(Unit).count()
    codes = [f"U-X{start + i:012d}" for i in range(n)]
    cells = 5.0e7 if kind == "cells" else None
    session.add_all(Unit(code=c, lot_id=lot.id, cells=cells, volume_ml=volume_ml) for c in codes)
    session.commit()
    return codes


def test_placebo_and_cells_plans_are_alike_for_every_weight(session, trial, rand_list, stock):
    pharmacist = trial.actor("pharmacist")
    seen = []
    for weight in WEIGHTS:
        codes = _one_of_each_arm(session, trial, weight)
        cells = plan_dispensing(session, pharmacist, codes["UC-MSC"], 1)
        placebo = plan_dispensing(session, pharmacist, codes["Placebo"], 1)
        assert (cells.kind, placebo.kind) == ("cells", "placebo")
        assert (cells.units, cells.unit_volume_ml, cells.volume_ml) == (
            placebo.units,
            placebo.unit_volume_ml,
            placebo.volume_ml,
        )
        # Sized by the cells dose: as few 5×10^7 bags as hold 90% of 2×10^6/kg × weight.
        assert cells.units == -(-int(0.9 * 2e6 * weight) // int(5e7))
        assert 0.9 * 2e6 * weight <= cells.cells <= 1.1 * 2e6 * weight
        assert placebo.cells == 0.0
        seen.append(cells.units)
    assert len(set(seen)) > 1  # the table covers more than one bag count


def test_dispensed_count_and_volume_are_identical_across_arms(session, trial, rand_list, stock):
    _more_units(session, "cells", 10)
    _more_units(session, "placebo", 10)
    pharmacist = trial.actor("pharmacist")
    now = dt.datetime.now(dt.UTC)
    for weight in (48.0, 72.0):
        codes = _one_of_each_arm(session, trial, weight)
        made = {
            arm: dispense_administration(
                session, pharmacist, code, 1, thawed_at=now - dt.timedelta(minutes=30), now=now
            )
            for arm, code in codes.items()
        }
        cells, placebo = made["UC-MSC"], made["Placebo"]
        assert len(cells.unit_codes) == len(placebo.unit_codes)
        assert cells.volume_ml == placebo.volume_ml
        volumes = {
            arm: sum(
                session.scalar(select(Unit.volume_ml).where(Unit.code == u)) for u in d.unit_codes
            )
            for arm, d in made.items()
        }
        assert volumes["UC-MSC"] == volumes["Placebo"]


def test_one_placebo_bag_for_a_72_kg_patient_is_refused(session, trial, rand_list, stock):
    codes = _one_of_each_arm(session, trial, 72.0)
    now = dt.datetime.now(dt.UTC)
    with pytest.raises(RuleViolation) as err:
        dispense_administration(
            session,
            trial.actor("pharmacist"),
            codes["Placebo"],
            1,
            unit_codes=stock.placebo[:1],
            thawed_at=now - dt.timedelta(minutes=30),
            now=now,
        )
    assert err.value.field == "unit_codes"
    assert "exactly 3 unit(s) of 50 mL for 72 kg" in err.value.message


def test_a_placebo_bag_of_another_volume_is_refused(session, trial, rand_list, stock):
    small = _more_units(session, "placebo", 3, volume_ml=30.0)
    codes = _one_of_each_arm(session, trial, 72.0)
    now = dt.datetime.now(dt.UTC)
    with pytest.raises(RuleViolation) as err:
        dispense_administration(
            session,
            trial.actor("pharmacist"),
            codes["Placebo"],
            1,
            unit_codes=small,
            thawed_at=now - dt.timedelta(minutes=30),
            now=now,
        )
    assert "is not a 50 mL unit" in err.value.message
    plan = plan_dispensing(session, trial.actor("pharmacist"), codes["Placebo"], 1)
    assert not set(plan.proposed) & set(small)  # the plan proposes only 50 mL units


def test_without_cells_in_stock_no_arm_is_dispensed(session, trial, rand_list, stock):
    """Dosing only placebo patients while cells are out would tell the ward the arm."""
    codes = _one_of_each_arm(session, trial, 72.0)
    lot = session.scalar(select(Lot).where(Lot.code == "LOT-CELLS-1"))
    audit.attach(session, Actor.system_actor("test-stock"))
    with audit.because(session, "recalled for the test", action="recall"):
        lot.status = "recalled"
    session.commit()
    for code in codes.values():
        with pytest.raises(RuleViolation) as err:
            plan_dispensing(session, trial.actor("pharmacist"), code, 1)
        assert "no released cells units" in err.value.message


def test_the_plan_proposes_first_expiry_units(session, trial, rand_list, stock):
    codes = _one_of_each_arm(session, trial, 72.0)
    plan = plan_dispensing(session, trial.actor("pharmacist"), codes["UC-MSC"], 1)
    assert list(plan.proposed) == stock.cells[:3]
