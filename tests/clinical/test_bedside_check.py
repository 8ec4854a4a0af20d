"""Verify at bedside: the units are checked before the infusion, and the infusion after it.

Issue 9, hole 2: the scan used to be part of the infusion record, so a wrong bag was caught
only once given. Now the check is its own recorded step, and the infusion needs a passed one.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from msctrial.clinical.dosing.bedside import verify_at_bedside
from msctrial.clinical.dosing.dispensing import dispense_administration, void_dispensation
from msctrial.clinical.dosing.infusion import record_infusion
from msctrial.clinical.dosing.tables import BedsideCheck
from msctrial.core import audit
from msctrial.core.errors import InvalidInput, RuleViolation
from tests.clinical.test_dispensing import VITALS, randomised, units_for


def _dispensed(session, trial, stock, thawed_minutes=30):
    code, arm = randomised(session, trial)
    units = units_for(arm, stock)
    now = dt.datetime.now(dt.UTC)
    dispense_administration(
        session,
        trial.actor("pharmacist"),
        code,
        1,
        unit_codes=units,
        thawed_at=now - dt.timedelta(minutes=thawed_minutes),
        now=now - dt.timedelta(minutes=5),
    )
    return code, arm, units


def _verify(session, trial, code, scanned, minutes_ago=20):
    return verify_at_bedside(
        session,
        trial.actor("coordinator"),
        code,
        1,
        scanned_unit_codes=scanned,
        now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes_ago),
    )


def _infuse(session, trial, code, check_id, start_minutes_ago=15, stop_minutes_ago=1):
    now = dt.datetime.now(dt.UTC)
    return record_infusion(
        session,
        trial.actor("coordinator"),
        code,
        1,
        bedside_check_id=check_id,
        started_at=now - dt.timedelta(minutes=start_minutes_ago),
        stopped_at=now - dt.timedelta(minutes=stop_minutes_ago),
        volume_ml=100,
        vitals_before=VITALS,
        vitals_after=VITALS,
    )


def test_an_infusion_without_a_bedside_check_is_refused(session, trial, rand_list, stock):
    code, _, _ = _dispensed(session, trial, stock)
    with pytest.raises(InvalidInput) as err:
        _infuse(session, trial, code, None)
    assert err.value.field == "bedside_check_id"


def test_a_wrong_bag_is_refused_before_the_infusion_and_the_refusal_recorded(
    session, trial, rand_list, stock
):
    code, _, units = _dispensed(session, trial, stock)
    stranger = (stock.cells + stock.placebo)[-1]
    check = _verify(session, trial, code, [*units[:-1], stranger])
    assert not check.passed
    assert any(stranger in r and "do not infuse" in r for r in check.reasons)
    assert any(f"not scanned: {units[-1]}" in r for r in check.reasons)
    stored = session.scalars(select(BedsideCheck)).all()
    assert [(c.passed, c.scanned_unit_codes) for c in stored] == [(False, [*units[:-1], stranger])]
    with pytest.raises(RuleViolation) as err:
        _infuse(session, trial, code, check.id)
    assert "refused these units" in err.value.message
    assert audit.verify_chain(session).ok


def test_a_passed_check_lets_the_infusion_be_recorded_against_it(session, trial, rand_list, stock):
    code, _, units = _dispensed(session, trial, stock)
    check = _verify(session, trial, code, units)
    assert check.passed and check.reasons == []
    infusion = _infuse(session, trial, code, check.id)
    assert infusion.bedside_check_id == check.id
    assert infusion.scanned_unit_codes == units


def test_an_undispensed_administration_fails_the_check(session, trial, rand_list, stock):
    code, arm = randomised(session, trial)
    check = _verify(session, trial, code, units_for(arm, stock))
    assert not check.passed and "has not been dispensed" in check.reasons[0]
    assert check.dispensation_id is None


def test_units_past_the_post_thaw_window_fail_the_check(session, trial, rand_list, stock):
    # Thawed 3 h 58 min ago; the default window is 4 h (CLINICAL_FACTS §5.4).
    code, _, units = _dispensed(session, trial, stock, thawed_minutes=238)
    assert _verify(session, trial, code, units, minutes_ago=20).passed
    late = _verify(session, trial, code, units, minutes_ago=-4)  # 4 h 2 min after the thaw
    assert not late.passed and any("post-thaw window" in r for r in late.reasons)


@pytest.mark.parametrize(
    ("start", "message"),
    [(25, "cannot start before the bedside check"), (-90, None)],
)
def test_the_infusion_starts_after_its_check_and_soon_after(
    session, trial, rand_list, stock, start, message
):
    code, _, units = _dispensed(session, trial, stock, thawed_minutes=100)
    if start < 0:
        # A check made 95 minutes before the infusion started is stale.
        check = _verify(session, trial, code, units, minutes_ago=96)
        with pytest.raises(RuleViolation) as err:
            _infuse(session, trial, code, check.id, start_minutes_ago=1, stop_minutes_ago=0)
        assert "more than an hour before" in err.value.message
        return
    check = _verify(session, trial, code, units, minutes_ago=20)
    with pytest.raises(RuleViolation) as err:
        _infuse(session, trial, code, check.id, start_minutes_ago=start)
    assert message in err.value.message and err.value.field == "started_at"


def test_a_check_does_not_survive_a_new_dispensation(session, trial, rand_list, stock):
    code, arm, units = _dispensed(session, trial, stock)
    check = _verify(session, trial, code, units)
    void_dispensation(session, trial.actor("pharmacist"), code, 1, reason="wrong thaw time")
    now = dt.datetime.now(dt.UTC)
    pool = units_for(arm, stock, n=6)[3:]
    dispense_administration(
        session,
        trial.actor("pharmacist"),
        code,
        1,
        unit_codes=pool,
        thawed_at=now - dt.timedelta(minutes=10),
        now=now,
    )
    with pytest.raises(RuleViolation) as err:
        _infuse(session, trial, code, check.id, start_minutes_ago=2, stop_minutes_ago=0)
    assert "dispensed again after that check" in err.value.message


def test_the_check_is_refused_for_a_blank_scan_and_records_nothing(
    session, trial, rand_list, stock
):
    code, _, _ = _dispensed(session, trial, stock)
    with pytest.raises(InvalidInput) as err:
        _verify(session, trial, code, ["  "])
    assert err.value.field == "scanned_unit_codes"
    session.rollback()
    assert session.scalars(select(BedsideCheck)).all() == []


def test_the_check_api_records_a_refusal_and_shows_no_arm(
    session, trial, rand_list, stock, client, token
):
    code, _, units = _dispensed(session, trial, stock)
    session.rollback()
    r = client.post(
        f"/api/v1/clinical/subjects/{code}/administrations/1/bedside-check",
        json={"scanned_unit_codes": units[:1]},
        headers=token("coordinator"),
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["passed"] is False and any("not scanned" in x for x in body["reasons"])
    for secret in ("UC-MSC", "Placebo", "placebo", "cells", "LOT-"):
        assert secret not in r.text
