"""Entering visit forms through the service: units, edit checks, consent, reasons, site isolation."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from msctrial.clinical.data_queries.tables import DataQuery
from msctrial.clinical.subjects.access import get_subject
from msctrial.clinical.visits import service as vs
from msctrial.clinical.visits.entries import get_entry
from msctrial.clinical.visits.tables import FormEntry, FormValue, VisitRecord
from msctrial.core import audit
from msctrial.core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    OutOfRange,
    PermissionDenied,
    ReasonRequired,
    RuleViolation,
)
from msctrial.core.tables import AuditEntry
from tests.clinical.visits_support import (
    CBC,
    VITALS,
    consented_subject,
    randomised_subject,
)


def day0(session, trial, code):
    return get_subject(session, trial.actor("monitor"), code).day0_date


def values_of(entry):
    return {v.item: v for v in entry.values}


def count(session, table):
    return session.scalar(select(func.count()).select_from(table))


def test_vital_signs_keep_what_was_typed_and_the_canonical_value(session, trial, rand_list):
    code = randomised_subject(session, trial)
    entry = vs.enter_form(
        session,
        trial.actor("coordinator"),
        code,
        "Day 0",
        "vital_signs",
        {**VITALS, "temperature": {"value": 100.4, "unit": "degF"}},
        visit_date=day0(session, trial, code),
    )
    temp = values_of(entry)["temperature"]
    assert (temp.entered, temp.entered_unit) == (100.4, "degF")
    assert temp.unit == "degC" and temp.value == pytest.approx(38.0)
    assert entry.entered_by == "coordinator" and entry.version == 1


def test_chemistry_in_other_units_is_stored_in_the_canonical_units(session, trial, rand_list):
    code = randomised_subject(session, trial)
    entry = vs.enter_form(
        session,
        trial.actor("investigator"),
        code,
        "Day 0",
        "chemistry",
        {
            "crp": {"value": 4.2, "unit": "mg/dL"},
            "d_dimer": {"value": 900, "unit": "ng/mL"},
            "ferritin": {"value": 650, "unit": "ng/mL"},
        },
        visit_date=day0(session, trial, code),
    )
    v = values_of(entry)
    assert (v["crp"].value, v["crp"].unit) == (pytest.approx(42.0), "mg/L")
    assert (v["d_dimer"].value, v["d_dimer"].unit) == (pytest.approx(0.9), "mg/L")
    assert v["ferritin"].value == pytest.approx(650)
    stored = session.scalar(select(FormValue).where(FormValue.item == "crp"))
    assert (stored.number, stored.unit, stored.entered, stored.entered_unit) == (
        pytest.approx(42.0),
        "mg/L",
        4.2,
        "mg/dL",
    )


def test_the_oxygenation_index_is_derived_stored_and_corrected_for_altitude_in_kunming(
    session, trial, rand_list
):
    # CLINICAL_FACTS §0 worked example: PB 608 mmHg, P/F 350 → 280.
    code = randomised_subject(session, trial, "KMG")
    entry = vs.enter_form(
        session,
        trial.actor("investigator.kmg"),
        code,
        "Day 0",
        "blood_gas",
        {"pao2": {"value": 140 / 7.50062, "unit": "kPa"}, "fio2": {"value": 40, "unit": "%"}},
        visit_date=day0(session, trial, code),
    )
    v = values_of(entry)
    assert v["pf_ratio"].derived and v["pf_ratio"].value == pytest.approx(350, abs=0.1)
    assert v["pf_ratio_corrected"].value == pytest.approx(280, abs=0.1)
    assert "608" in v["pf_ratio_corrected"].note
    assert v["fio2"].flag is None  # a percentage with its unit is simply converted


def test_an_implausible_value_is_refused_naming_the_field_and_nothing_is_written(
    session, trial, rand_list
):
    code = randomised_subject(session, trial)
    before = (count(session, FormEntry), count(session, VisitRecord), count(session, AuditEntry))
    with pytest.raises(
        OutOfRange, match=r"vital_signs\.spo2: 150 % is implausible; allowed 50–100"
    ) as err:
        vs.enter_form(
            session,
            trial.actor("coordinator"),
            code,
            "Day 0",
            "vital_signs",
            {**VITALS, "spo2": 150},
            visit_date=day0(session, trial, code),
        )
    assert err.value.field == "vital_signs.spo2" and "50–100" in err.value.message
    session.rollback()
    after = (count(session, FormEntry), count(session, VisitRecord), count(session, AuditEntry))
    assert after == before


def test_an_unusual_value_is_stored_and_raises_a_query_to_the_site(session, trial, rand_list):
    code = randomised_subject(session, trial)
    entry = vs.enter_form(
        session,
        trial.actor("coordinator"),
        code,
        "Day 0",
        "vital_signs",
        {**VITALS, "heart_rate": 190},
        visit_date=day0(session, trial, code),
    )
    assert values_of(entry)["heart_rate"].value == 190
    (query,) = session.scalars(select(DataQuery)).all()
    assert query.id in entry.queries_raised
    assert (query.item, query.status, query.origin) == ("heart_rate", "open", "edit_check")
    assert "40–180" in query.text


def test_fio2_typed_as_forty_is_read_as_a_percentage_flagged_and_queried(session, trial, rand_list):
    code = randomised_subject(session, trial)
    entry = vs.enter_form(
        session,
        trial.actor("coordinator"),
        code,
        "Day 0",
        "blood_gas",
        {"pao2": 80, "fio2": 40},
        visit_date=day0(session, trial, code),
    )
    fio2 = values_of(entry)["fio2"]
    assert (fio2.value, fio2.flag, fio2.entered) == (0.4, "fio2_read_as_percent", 40)
    assert values_of(entry)["pf_ratio"].value == pytest.approx(200)
    assert session.scalar(select(DataQuery.item)) == "fio2"


def test_no_form_is_entered_before_informed_consent(session, trial, rand_list):
    code = consented_subject(session, trial, days_ago=1)
    with pytest.raises(
        RuleViolation, match=r"consent: WUH-001 has no informed consent before"
    ) as err:
        vs.enter_form(
            session,
            trial.actor("coordinator"),
            code,
            "Screening",
            "vital_signs",
            VITALS,
            visit_date=dt.date.today() - dt.timedelta(days=5),
        )
    assert err.value.field == "consent"


def test_a_screening_visit_can_be_entered_before_randomisation(session, trial, rand_list):
    code = consented_subject(session, trial)
    entry = vs.enter_form(session, trial.actor("coordinator"), code, "Screening", "cbc", CBC)
    assert values_of(entry)["nlr"].value == pytest.approx(6.0)
    assert values_of(entry)["lymphocyte_percent"].value == pytest.approx(100 * 0.8 / 6.0)


def test_a_change_after_entry_needs_a_reason_and_the_audit_trail_keeps_old_and_new(
    session, trial, rand_list
):
    code = randomised_subject(session, trial)
    inv = trial.actor("investigator")
    entry = vs.enter_form(
        session, inv, code, "Day 0", "cbc", CBC, visit_date=day0(session, trial, code)
    )
    with pytest.raises(ReasonRequired, match=r"a reason is required to change an"):
        vs.change_form(session, inv, entry.id, {"lymphocytes": 1.2}, reason="  ")
    changed = vs.change_form(
        session, inv, entry.id, {"lymphocytes": 1.2}, reason="transcription error"
    )
    assert changed.version == 2
    assert values_of(changed)["nlr"].value == pytest.approx(4.0)
    row = session.scalar(select(FormValue).where(FormValue.item == "lymphocytes"))
    (change,) = [e for e in audit.history(session, "form_value", row.id) if e.action == "correct"]
    assert change.reason == "transcription error"
    assert change.changes["number"] == [0.8, 1.2] and change.actor == "investigator"


def test_a_form_is_entered_once_and_a_second_entry_is_refused(session, trial, rand_list):
    code = randomised_subject(session, trial)
    args = (trial.actor("coordinator"), code, "Day 0", "cbc", CBC)
    vs.enter_form(session, *args, visit_date=day0(session, trial, code))
    with pytest.raises(Conflict, match=r"form: cbc of Day 0 is already"):
        vs.enter_form(session, *args, visit_date=day0(session, trial, code))


def test_a_voided_form_stays_readable_and_can_be_entered_again(session, trial, rand_list):
    code = randomised_subject(session, trial)
    coord = trial.actor("coordinator")
    first = vs.enter_form(
        session, coord, code, "Day 0", "cbc", CBC, visit_date=day0(session, trial, code)
    )
    voided = vs.void_form(session, coord, first.id, "entered for the wrong subject")
    assert voided.voided and voided.void_reason == "entered for the wrong subject"
    again = vs.enter_form(
        session, coord, code, "Day 0", "cbc", CBC, visit_date=day0(session, trial, code)
    )
    assert again.id != first.id and get_entry(session, coord, first.id).voided


@pytest.mark.parametrize(
    ("visit", "form", "error"),
    [
        ("Day 0", "imaging", InvalidInput),  # not on the Day 0 schedule
        ("Day 5", "cbc", NotFound),  # no such visit
        ("Day 0", "urine", InvalidInput),  # no such form
    ],
)
def test_a_form_or_visit_outside_the_protocol_is_refused(
    session, trial, rand_list, visit, form, error
):
    code = randomised_subject(session, trial)
    with pytest.raises(error):
        vs.enter_form(session, trial.actor("coordinator"), code, visit, form, CBC)


def test_another_sites_investigator_cannot_see_or_enter_the_subject(session, trial, rand_list):
    code = randomised_subject(session, trial)
    entry = vs.enter_form(
        session,
        trial.actor("coordinator"),
        code,
        "Day 0",
        "cbc",
        CBC,
        visit_date=day0(session, trial, code),
    )
    other = trial.actor("investigator.bjs")
    with pytest.raises(NotFound, match=r"subject: no subject 'WUH-001'"):
        vs.enter_form(session, other, code, "Day 0", "vital_signs", VITALS)
    with pytest.raises(NotFound, match=r"entry: no form entry 1"):
        get_entry(session, other, entry.id)
    with pytest.raises(NotFound, match=r"entry: no form entry 1"):
        vs.change_form(session, other, entry.id, {"wbc": 7}, reason="x")


@pytest.mark.parametrize("role", ["monitor", "dsmb", "statistician", "pharmacist"])
def test_only_site_staff_enter_forms(session, trial, rand_list, role):
    code = randomised_subject(session, trial)
    with pytest.raises(PermissionDenied, match=r"you need the role investigator or coordinator"):
        vs.enter_form(session, trial.actor(role), code, "Day 0", "cbc", CBC)


def test_the_who_scale_on_a_ventilator_takes_the_visits_p_f_and_follows_its_correction(
    session, trial, rand_list
):
    code = randomised_subject(session, trial)
    coord = trial.actor("coordinator")
    d0 = day0(session, trial, code)
    support = {"hospitalised": True, "oxygen_support": "mechanical_ventilation"}
    with pytest.raises(
        InvalidInput, match=r"blood_gas: on mechanical ventilation the WHO scale"
    ) as err:
        vs.enter_form(session, coord, code, "Day 0", "who_scale", support, visit_date=d0)
    assert err.value.field == "blood_gas"
    session.rollback()
    gas = vs.enter_form(
        session, coord, code, "Day 0", "blood_gas", {"pao2": 90, "fio2": 0.5}, visit_date=d0
    )
    scale = vs.enter_form(session, coord, code, "Day 0", "who_scale", support, visit_date=d0)
    assert values_of(scale)["who_score"].value == 7  # P/F 180 ≥ 150 (CLINICAL_FACTS §2.1)
    vs.change_form(session, coord, gas.id, {"pao2": 60}, reason="wrong sample")  # P/F 120
    assert values_of(get_entry(session, coord, scale.id))["who_score"].value == 8


def test_a_visit_outside_its_window_is_kept_and_queried(session, trial, rand_list):
    code = randomised_subject(session, trial, days_ago=6)
    d0 = day0(session, trial, code)
    vs.enter_form(
        session,
        trial.actor("coordinator"),
        code,
        "Day 3",
        "cbc",
        CBC,
        visit_date=d0 + dt.timedelta(days=5),  # Day 3 ± 1
    )
    query = session.scalar(select(DataQuery).where(DataQuery.item == "visit_date"))
    assert query is not None and "outside its window" in query.text


def test_all_forms_of_a_visit_share_its_date(session, trial, rand_list):
    code = randomised_subject(session, trial, days_ago=3)
    coord = trial.actor("coordinator")
    d3 = day0(session, trial, code) + dt.timedelta(days=3)
    vs.enter_form(session, coord, code, "Day 3", "cbc", CBC, visit_date=d3)
    with pytest.raises(InvalidInput, match=r"visit_date: Day 3 took place on ") as err:
        vs.enter_form(
            session, coord, code, "Day 3", "vital_signs", VITALS, visit_date=d3 - dt.timedelta(1)
        )
    assert err.value.field == "visit_date"
