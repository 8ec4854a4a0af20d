"""Dispensing and the bedside: the arm decides the units, the scan must match, the thaw window."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from msctrial.clinical import dispensing, randomise, schedule
from msctrial.clinical.tables import Allocation, ProtocolDeviation
from msctrial.core import audit
from msctrial.core.errors import RuleViolation
from tests.clinical.conftest import enrol

VITALS = {
    "heart_rate": 88,
    "systolic_bp": 124,
    "diastolic_bp": 78,
    "respiratory_rate": 24,
    "temperature_c": 37.2,
    "spo2_pct": 94,
}


def randomised(session, trial):
    inv = trial.actor("investigator")
    code = enrol(session, inv, weight_kg=70.0)
    randomise.randomise_subject(session, inv, code)
    arm = session.scalar(select(Allocation.arm))
    return code, arm


def units_for(arm, stock, n=3):
    return (stock.cells if arm == "UC-MSC" else stock.placebo)[:n]


def wrong_units_for(arm, stock):
    return (stock.placebo if arm == "UC-MSC" else stock.cells)[:3]


def dispense(session, trial, code, units, thawed_minutes=60, no=1, minutes_ago=0):
    now = dt.datetime.now(dt.UTC)
    return dispensing.dispense_administration(
        session,
        trial.actor("pharmacist"),
        code,
        no,
        unit_codes=units,
        thawed_at=now - dt.timedelta(minutes=thawed_minutes),
        now=now - dt.timedelta(minutes=minutes_ago),
    )


def infuse(session, trial, code, scanned, no=1, minutes_ago=5, duration=30):
    now = dt.datetime.now(dt.UTC)
    return dispensing.record_infusion(
        session,
        trial.actor("coordinator"),
        code,
        no,
        scanned_unit_codes=scanned,
        started_at=now - dt.timedelta(minutes=minutes_ago + duration),
        stopped_at=now - dt.timedelta(minutes=minutes_ago),
        volume_ml=100,
        vitals_before=VITALS,
        vitals_after=VITALS,
        reactions=["fever"],
    )


def test_the_pharmacist_dispenses_the_units_of_the_subjects_arm(session, trial, rand_list, stock):
    code, arm = randomised(session, trial)
    d = dispense(session, trial, code, units_for(arm, stock))
    assert d.product_kind == ("cells" if arm == "UC-MSC" else "placebo")
    if arm == "UC-MSC":
        # 70 kg × 2×10^6/kg = 1.4×10^8 from three bags of 5×10^7: the dose is drawn from them.
        assert d.cells_total == pytest.approx(1.4e8)


def test_units_of_the_other_arm_are_refused(session, trial, rand_list, stock):
    code, arm = randomised(session, trial)
    with pytest.raises(RuleViolation):
        dispense(session, trial, code, wrong_units_for(arm, stock))


def test_a_scanned_unit_that_was_not_dispensed_is_refused(session, trial, rand_list, stock):
    code, arm = randomised(session, trial)
    units = units_for(arm, stock)
    dispense(session, trial, code, units)
    other = (stock.cells + stock.placebo)[-1]
    with pytest.raises(RuleViolation) as err:
        infuse(session, trial, code, [*units[:-1], other])
    assert other in err.value.message
    infusion = infuse(session, trial, code, units)
    assert infusion.reactions == ["fever"]
    assert audit.verify_chain(session).ok


def test_an_infusion_ending_past_the_post_thaw_window_is_refused(session, trial, rand_list, stock):
    code, arm = randomised(session, trial)
    units = units_for(arm, stock)
    # Thawed 4 h 30 min ago, dispensed an hour ago (3 h 30 min after thaw, still in time);
    # an infusion ending now is past the 4 h default window (CLINICAL_FACTS §5.4).
    dispense(session, trial, code, units, thawed_minutes=270, minutes_ago=60)
    with pytest.raises(RuleViolation) as err:
        infuse(session, trial, code, units, minutes_ago=0, duration=20)
    assert "post-thaw" in err.value.message


def test_a_second_administration_too_soon_needs_an_investigators_override(
    session, trial, rand_list, stock
):
    code, arm = randomised(session, trial)
    pool = units_for(arm, stock, n=6)
    dispense(session, trial, code, pool[:3])
    infuse(session, trial, code, pool[:3])
    with pytest.raises(RuleViolation) as err:
        dispense(session, trial, code, pool[3:], no=2)
    kinds = {p["kind"] for p in err.value.details["problems"]}
    assert kinds == {"out_of_window", "interval_too_short"}
    today = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    records = schedule.override_schedule(
        session,
        trial.actor("investigator"),
        code,
        administration_no=2,
        planned_on=today,
        reason="clinical deterioration; DSMB-agreed early second dose",
    )
    assert {r.kind for r in records} == kinds
    dispense(session, trial, code, pool[3:], no=2)
    assert len(session.scalars(select(ProtocolDeviation)).all()) == 2
