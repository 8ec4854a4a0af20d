"""Dispensing and the bedside: the arm decides the units, the scan must match, the thaw window."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from msctrial.clinical.dosing import schedule
from msctrial.clinical.dosing.dispensing import dispense_administration, void_dispensation
from msctrial.clinical.dosing.tables import ProtocolDeviation
from msctrial.clinical.randomisation.service import randomise_subject
from msctrial.clinical.randomisation.tables import Allocation
from msctrial.core import audit
from msctrial.core.errors import (
    InvalidInput,
    NotFound,
    PermissionDenied,
    ReasonRequired,
    RuleViolation,
)
from tests.clinical.conftest import check_and_infuse, enrol

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
    randomise_subject(session, inv, code, password=trial.passwords["investigator"])
    arm = session.scalar(select(Allocation.arm))
    return code, arm


def units_for(arm, stock, n=3):
    return (stock.cells if arm == "UC-MSC" else stock.placebo)[:n]


def wrong_units_for(arm, stock):
    return (stock.placebo if arm == "UC-MSC" else stock.cells)[:3]


def dispense(session, trial, code, units, thawed_minutes=60, no=1, minutes_ago=0):
    now = dt.datetime.now(dt.UTC)
    return dispense_administration(
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
    return check_and_infuse(
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
    with pytest.raises(RuleViolation, match=r"the units cannot be issued: unit U-\w+:"):
        dispense(session, trial, code, wrong_units_for(arm, stock))


def test_a_scanned_unit_that_was_not_dispensed_is_refused(session, trial, rand_list, stock):
    code, arm = randomised(session, trial)
    units = units_for(arm, stock)
    dispense(session, trial, code, units)
    other = (stock.cells + stock.placebo)[-1]
    with pytest.raises(RuleViolation, match=r"unit U-\w+ was not dispensed for WUH-001") as err:
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
    with pytest.raises(RuleViolation, match=r"unit U-\w+ was thawed [0-9.]+ h before") as err:
        infuse(session, trial, code, units, minutes_ago=0, duration=20)
    assert "post-thaw" in err.value.message


def test_a_second_administration_too_soon_needs_an_investigators_override(
    session, trial, rand_list, stock
):
    code, arm = randomised(session, trial)
    pool = units_for(arm, stock, n=6)
    dispense(session, trial, code, pool[:3])
    infuse(session, trial, code, pool[:3])
    with pytest.raises(RuleViolation, match=r"administration 2 is due on day 3") as err:
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


def test_a_fourth_infusion_needs_an_override_that_adds_it_as_a_deviation(
    session, trial, rand_list, stock
):
    from msctrial.clinical.randomisation.tables import PlannedAdministration
    from msctrial.clinical.subjects.tables import Subject

    code, arm = randomised(session, trial)
    subject = session.scalar(select(Subject).where(Subject.subject_code == code))
    with pytest.raises(
        NotFound, match=r"administration: WUH-001 has no administration 4"
    ):  # the schedule has three; there is no fourth to dispense
        dispense(session, trial, code, units_for(arm, stock), no=4)
    inv = trial.actor("investigator")
    with pytest.raises(ReasonRequired, match=r"a reason is required to override the"):
        schedule.override_schedule(session, inv, code, planned_on=subject.day0_date, reason=" ")
    records = schedule.override_schedule(
        session,
        inv,
        code,
        planned_on=subject.day0_date + dt.timedelta(days=9),
        reason="persistent hypoxaemia; sponsor agreed a fourth dose",
    )
    assert "extra_administration" in {r.kind for r in records}
    fourth = session.scalar(select(PlannedAdministration).where(PlannedAdministration.number == 4))
    assert fourth.unscheduled and fourth.study_day == 9


def test_a_pharmacist_cannot_override_the_schedule(session, trial, rand_list):
    code, _ = randomised(session, trial)
    with pytest.raises(PermissionDenied, match=r"you need the role investigator at this"):
        schedule.override_schedule(
            session, trial.actor("pharmacist"), code, planned_on=dt.date.today(), reason="x"
        )


def test_dispensing_dated_before_consent_is_refused(session, trial, rand_list, stock):
    code, arm = randomised(session, trial)
    now = dt.datetime.now(dt.UTC)
    with pytest.raises(
        RuleViolation, match=r"consent: WUH-001 has no informed consent before"
    ) as err:  # consent was taken 2 h ago (conftest.enrol)
        dispense_administration(
            session,
            trial.actor("pharmacist"),
            code,
            1,
            unit_codes=units_for(arm, stock),
            thawed_at=now - dt.timedelta(hours=3, minutes=30),
            now=now - dt.timedelta(hours=3),
        )
    assert err.value.field == "consent"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"volume_ml": 0}, "volume_ml"),
        ({"vitals_before": {**VITALS, "temperature_c": 47}}, "vitals_before.temperature_c"),
        ({"vitals_after": {**VITALS, "pulse": 80}}, "vitals_after.pulse"),
        ({"reactions": ["headache"]}, "reactions"),
        ({"reactions": ["other"]}, "reaction_notes"),
    ],
)
def test_a_malformed_infusion_record_names_the_field(
    session, trial, rand_list, stock, changes, field
):
    code, arm = randomised(session, trial)
    units = units_for(arm, stock)
    dispense(session, trial, code, units)
    now = dt.datetime.now(dt.UTC)
    record = dict(
        scanned_unit_codes=units,
        started_at=now - dt.timedelta(minutes=30),
        stopped_at=now - dt.timedelta(minutes=5),
        volume_ml=100,
        vitals_before=VITALS,
        vitals_after=VITALS,
    )
    with pytest.raises(InvalidInput) as err:
        check_and_infuse(session, trial.actor("coordinator"), code, 1, **{**record, **changes})
    assert err.value.field == field


def test_a_dispensing_error_is_voided_with_a_reason_and_dispensed_again(
    session, trial, rand_list, stock
):
    code, arm = randomised(session, trial)
    pool = units_for(arm, stock, n=6)
    dispense(session, trial, code, pool[:3])
    pharmacist = trial.actor("pharmacist")
    with pytest.raises(ReasonRequired, match=r"a reason is required to void a"):
        void_dispensation(session, pharmacist, code, 1, reason="")
    with pytest.raises(PermissionDenied, match=r"you need the role pharmacist at this"):
        void_dispensation(session, trial.actor("coordinator"), code, 1, reason="x")
    voided = void_dispensation(session, pharmacist, code, 1, reason="bag label torn")
    assert voided.is_voided and voided.void_reason == "bag label torn"
    again = dispense(session, trial, code, pool[3:])
    assert again.unit_codes == pool[3:]
    with pytest.raises(
        RuleViolation, match=r"unit U-\w+ was not dispensed for WUH-001"
    ):  # a voided unit is not scanned in at the bedside
        infuse(session, trial, code, pool[:3])
    infuse(session, trial, code, pool[3:])
    with pytest.raises(RuleViolation, match=r"the units were infused; record what happened"):
        void_dispensation(session, pharmacist, code, 1, reason="too late")
    assert audit.verify_chain(session).ok
