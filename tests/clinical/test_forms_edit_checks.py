"""Edit checks at their boundaries, unit conversion, and the derived values (pure, no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from msctrial.clinical.subjects.severity import Air
from msctrial.clinical.visits.derived import alveolar_po2, who_progression_scale
from msctrial.clinical.visits.edit_checks import check_form
from msctrial.clinical.visits.forms import catalogue, get_form, parse_forms
from msctrial.core.errors import InvalidInput, OutOfRange

TODAY = dt.date(2026, 11, 25)
VITALS = {"respiratory_rate": 20, "heart_rate": 80, "temperature": 37.0, "spo2": 96}


def vitals(**changes):
    return check_form(get_form("vital_signs"), {**VITALS, **changes}, today=TODAY)


# Hard limits refuse, soft limits query (CLINICAL_FACTS §4.3).
@pytest.mark.parametrize(
    ("item", "value", "outcome"),
    [
        ("respiratory_rate", 4, "query"),
        ("respiratory_rate", 3.9, "refused"),
        ("respiratory_rate", 8, "ok"),
        ("respiratory_rate", 7.9, "query"),
        ("respiratory_rate", 50, "ok"),
        ("respiratory_rate", 50.1, "query"),
        ("respiratory_rate", 80, "query"),
        ("respiratory_rate", 80.1, "refused"),
        ("heart_rate", 20, "query"),
        ("heart_rate", 19, "refused"),
        ("heart_rate", 180, "ok"),
        ("heart_rate", 181, "query"),
        ("heart_rate", 251, "refused"),
        ("temperature", 30.0, "query"),
        ("temperature", 29.9, "refused"),
        ("temperature", 34.0, "ok"),
        ("temperature", 42.0, "ok"),
        ("temperature", 42.1, "query"),
        ("temperature", 45.1, "refused"),
        ("spo2", 50, "query"),
        ("spo2", 49, "refused"),
        ("spo2", 70, "ok"),
        ("spo2", 69, "query"),
        ("spo2", 100, "ok"),
        ("spo2", 100.5, "refused"),
    ],
)
def test_vital_signs_at_their_hard_and_soft_limits(item, value, outcome):
    if outcome == "refused":
        with pytest.raises(OutOfRange) as err:
            vitals(**{item: value})
        assert err.value.field == f"vital_signs.{item}"
        return
    checked = vitals(**{item: value})
    assert checked.values[item].number == value
    assert [f.item for f in checked.findings] == ([item] if outcome == "query" else [])


@pytest.mark.parametrize(
    ("typed", "stored", "flagged"),
    [
        (0.21, 0.21, False),
        (1.0, 1.0, False),
        ({"value": 40, "unit": "%"}, 0.40, False),
        (21, 0.21, True),  # CLINICAL_FACTS §4.3: 21-100 as a fraction is read as %
        (60, 0.60, True),
        (100, 1.0, True),
    ],
)
def test_fio2_is_stored_as_a_fraction(typed, stored, flagged):
    checked = check_form(get_form("blood_gas"), {"pao2": 60, "fio2": typed}, today=TODAY)
    fio2 = checked.values["fio2"]
    assert fio2.number == pytest.approx(stored)
    assert (fio2.flag == "fio2_read_as_percent") is flagged
    assert any(f.item == "fio2" for f in checked.findings) is flagged


@pytest.mark.parametrize("typed", [0.2, 1.01, 5, 20.9, 100.1, {"value": 15, "unit": "%"}])
def test_fio2_that_is_neither_a_fraction_nor_a_percentage_is_refused(typed):
    with pytest.raises(OutOfRange) as err:
        check_form(get_form("blood_gas"), {"pao2": 60, "fio2": typed}, today=TODAY)
    assert err.value.field == "blood_gas.fio2"


@pytest.mark.parametrize(
    ("form", "item", "typed", "canonical"),
    [
        ("chemistry", "crp", {"value": 5, "unit": "mg/dL"}, 50.0),  # CLINICAL_FACTS §4.2
        ("chemistry", "d_dimer", {"value": 500, "unit": "ng/mL"}, 0.5),
        ("chemistry", "d_dimer", {"value": 1.2, "unit": "ug/mL"}, 1.2),
        ("chemistry", "ferritin", {"value": 400, "unit": "ng/mL"}, 400.0),
        ("chemistry", "procalcitonin", {"value": 0.5, "unit": "ug/L"}, 0.5),
        ("blood_gas", "pao2", {"value": 10, "unit": "kPa"}, 75.006),  # × 7.50 (§4.3)
        ("vital_signs", "temperature", {"value": 100.4, "unit": "degF"}, 38.0),
        ("vital_signs", "systolic_bp", {"value": 16, "unit": "kPa"}, 120.01),
        ("cbc", "lymphocytes", {"value": 800, "unit": "cells/uL"}, 0.8),
        ("cbc", "haemoglobin", {"value": 12.5, "unit": "g/dL"}, 125.0),
        ("lymphocyte_subsets", "cd4", {"value": 0.35, "unit": "10^9/L"}, 350.0),
        ("lymphocyte_subsets", "cd8", {"value": 180, "unit": "10^6/L"}, 180.0),
        ("cytokines", "il6", {"value": 0.05, "unit": "ng/mL"}, 50.0),
    ],
)
def test_values_are_converted_to_the_items_canonical_unit(form, item, typed, canonical):
    required = {
        "chemistry": {},
        "blood_gas": {"pao2": 80, "fio2": 0.5},
        "vital_signs": VITALS | {"systolic_bp": 120, "diastolic_bp": 70},
        "cbc": {"wbc": 6, "neutrophils": 4, "lymphocytes": 1},
        "lymphocyte_subsets": {"cd4": 400, "cd8": 200},
        "cytokines": {"il6": 10},
    }[form]
    checked = check_form(get_form(form), {**required, item: typed}, today=TODAY)
    value = checked.values[item]
    assert value.number == pytest.approx(canonical, rel=1e-4)
    assert value.entered == typed["value"] and value.entered_unit == typed["unit"]


def test_ddu_d_dimer_is_doubled_to_feu_and_flagged():
    checked = check_form(
        get_form("chemistry"), {"d_dimer": 0.4, "d_dimer_basis": "DDU"}, today=TODAY
    )
    assert checked.values["d_dimer"].number == pytest.approx(0.8)
    assert checked.values["d_dimer"].flag == "ddu_doubled_to_feu"


@pytest.mark.parametrize(
    ("form", "raw", "field"),
    [
        ("chemistry", {"crp": {"value": 5, "unit": "mmHg"}}, "chemistry.crp"),  # wrong kind
        ("chemistry", {"crp": {"value": 5, "unit": "furlongs"}}, "chemistry.crp"),
        ("chemistry", {"crp": "high"}, "chemistry.crp"),
        ("chemistry", {"crp": float("nan")}, "chemistry.crp"),
        ("chemistry", {"crp": {"value": 5, "units": "mg/L"}}, "chemistry.crp"),
        ("chemistry", {"glucose": 5}, "chemistry.glucose"),  # not an item
        ("cbc", {"wbc": 6, "neutrophils": 4, "lymphocytes": 1, "nlr": 4}, "cbc.nlr"),  # derived
        ("cbc", {"wbc": 6, "neutrophils": 4}, "cbc.lymphocytes"),  # required
        (
            "cbc",
            {"wbc": 6, "neutrophils": 4, "lymphocytes": {"value": 12, "unit": "%"}},
            "cbc.lymphocytes",
        ),
        (
            "imaging",
            {"modality": "mri", "lesion_proportion": 20, "fibrosis": False},
            "imaging.modality",
        ),
        (
            "imaging",
            {"modality": "ct", "lesion_proportion": 20, "fibrosis": "maybe"},
            "imaging.fibrosis",
        ),
        (
            "imaging",
            {"modality": "ct", "lesion_proportion": 101, "fibrosis": True},
            "imaging.lesion_proportion",
        ),
        ("hospital_status", {"status": "discharged"}, "hospital_status.discharge_date"),
        (
            "hospital_status",
            {"status": "dead", "death_date": "2026-02-30"},
            "hospital_status.death_date",
        ),
        (
            "hospital_status",
            {"status": "dead", "death_date": "2026-12-01"},
            "hospital_status.death_date",
        ),
    ],
)
def test_malformed_values_are_refused_naming_the_field(form, raw, field):
    with pytest.raises(InvalidInput) as err:
        check_form(get_form(form), raw, today=TODAY)
    assert err.value.field == field


def test_every_problem_of_a_form_is_reported_at_once():
    with pytest.raises(
        InvalidInput, match=r"vital_signs\.heart_rate: 'fast' is not a number; vital_signs\.spo2:"
    ) as err:
        vitals(spo2=150, heart_rate="fast")
    fields = {p["field"] for p in err.value.details["problems"]}
    assert fields == {"vital_signs.spo2", "vital_signs.heart_rate"}


def test_a_temperature_typed_in_fahrenheit_without_its_unit_suggests_the_unit():
    with pytest.raises(
        OutOfRange, match=r"vital_signs\.temperature: 101\.3 degC is implausible; allowed 30–45"
    ) as err:
        vitals(temperature=101.3)
    assert "degF" in err.value.message


def test_an_unknown_form_lists_the_forms_that_exist():
    with pytest.raises(InvalidInput, match=r"form: 'urinalysis' is not a form; known") as err:
        get_form("urinalysis")
    assert "vital_signs" in err.value.message and err.value.field == "form"


def test_every_form_the_reference_protocol_schedules_exists(shared):
    from msctrial.demo.spine import reference_protocol_text
    from msctrial.protocol.loader import load_protocol_text

    protocol = load_protocol_text(reference_protocol_text())
    assert {f for v in protocol.visits for f in v.forms} <= set(catalogue())


def test_the_form_catalogue_parses_from_its_yaml_text():
    forms = parse_forms(
        "x:\n  label: X\n  items:\n    - {name: a, label: A, unit: mg/L, hard: [0, 5]}\n"
    )
    assert forms["x"].item("a").hard.contains(5) and not forms["x"].item("a").hard.contains(5.1)


# --- derived values ----------------------------------------------------------------------


def test_p_f_is_corrected_by_pb_over_760_only_above_1000_m():
    # CLINICAL_FACTS §0: Kunming PB ≈ 608 mmHg, measured P/F 350 → 280.
    raw = {"pao2": 140, "fio2": 0.4}
    high = check_form(get_form("blood_gas"), raw, today=TODAY, air=Air(1890, 608))
    assert high.values["pf_ratio"].number == pytest.approx(350)
    assert high.values["pf_ratio_corrected"].number == pytest.approx(280)
    low = check_form(get_form("blood_gas"), raw, today=TODAY, air=Air(37, None))
    assert low.values["pf_ratio_corrected"].number == pytest.approx(350)
    estimated = check_form(get_form("blood_gas"), raw, today=TODAY, air=Air(1890, None))
    assert estimated.values["pf_ratio_corrected"].number == pytest.approx(350 * 605 / 760, rel=0.01)
    assert "estimated" in estimated.values["pf_ratio_corrected"].note


def test_a_pao2_above_the_alveolar_maximum_is_refused():
    # FiO2 0.21 at sea level: PAO2 = 0.21 × (760 − 47) − 40/0.8 ≈ 99.7 mmHg (CLINICAL_FACTS §4.3).
    assert alveolar_po2(0.21, 760, 40) == pytest.approx(99.73)
    ok = check_form(get_form("blood_gas"), {"pao2": 95, "fio2": 0.21, "paco2": 40}, today=TODAY)
    assert ok.values["pf_ratio"].number == pytest.approx(452.4, abs=0.1)
    with pytest.raises(OutOfRange, match=r"blood_gas\.pao2: PaO2 105 mmHg is above the") as err:
        check_form(get_form("blood_gas"), {"pao2": 105, "fio2": 0.21, "paco2": 40}, today=TODAY)
    assert err.value.field == "blood_gas.pao2" and "alveolar" in err.value.message


def test_a_derived_p_f_outside_its_soft_range_is_queried():
    checked = check_form(get_form("blood_gas"), {"pao2": 45, "fio2": 1.0}, today=TODAY)
    assert any(f.item == "pf_ratio" for f in checked.findings)  # 45 < 50 (§4.3)


def test_nlr_cd4_cd8_and_mean_arterial_pressure_are_derived():
    cbc = check_form(
        get_form("cbc"), {"wbc": 8, "neutrophils": 6.26, "lymphocytes": 2}, today=TODAY
    )
    assert cbc.values["nlr"].number == pytest.approx(3.13) and cbc.values["nlr"].derived
    subsets = check_form(get_form("lymphocyte_subsets"), {"cd4": 177.5, "cd8": 89}, today=TODAY)
    assert subsets.values["cd4_cd8_ratio"].number == pytest.approx(1.994, abs=0.001)
    bp = vitals(systolic_bp=90, diastolic_bp=50)
    assert bp.values["mean_arterial_pressure"].number == pytest.approx(63.33, abs=0.01)
    assert any(f.item == "mean_arterial_pressure" for f in bp.findings)  # MAP < 65 (§4.3)


def test_no_lymphocytes_leaves_the_nlr_undefined_rather_than_infinite():
    checked = check_form(
        get_form("cbc"), {"wbc": 5, "neutrophils": 4.9, "lymphocytes": 0}, today=TODAY
    )
    assert "nlr" not in checked.values


@pytest.mark.parametrize(
    ("values", "pf", "score"),
    [
        ({"dead": True}, None, 10),
        ({"hospitalised": False, "oxygen_support": "none"}, None, 0),
        ({"hospitalised": False, "oxygen_support": "none", "viral_rna_detected": True}, None, 1),
        ({"hospitalised": False, "oxygen_support": "none", "symptomatic": True}, None, 2),
        ({"hospitalised": False, "symptomatic": True, "assistance_needed": True}, None, 3),
        ({"hospitalised": True, "oxygen_support": "none"}, None, 4),
        ({"hospitalised": True, "oxygen_support": "mask_or_prongs"}, None, 5),
        ({"hospitalised": True, "oxygen_support": "high_flow_or_niv"}, None, 6),
        ({"hospitalised": True, "oxygen_support": "mechanical_ventilation"}, 150, 7),
        ({"hospitalised": True, "oxygen_support": "mechanical_ventilation"}, 149, 8),
        (
            {
                "hospitalised": True,
                "oxygen_support": "mechanical_ventilation",
                "vasopressors": True,
            },
            200,
            8,
        ),
        (
            {
                "hospitalised": True,
                "oxygen_support": "mechanical_ventilation",
                "vasopressors": True,
            },
            120,
            9,
        ),
        (
            {"hospitalised": True, "oxygen_support": "mechanical_ventilation", "dialysis": True},
            120,
            9,
        ),
        ({"hospitalised": True, "oxygen_support": "ecmo"}, 100, 9),
    ],
)
def test_the_who_clinical_progression_scale_from_support_data(values, pf, score):
    # Marshall JC et al. 2020 (CLINICAL_FACTS §2.1).
    assert who_progression_scale(values, pf) == score


def test_oxygen_support_outside_hospital_is_refused():
    with pytest.raises(InvalidInput, match=r"oxygen_support: a patient who is not hospitalised"):
        who_progression_scale({"hospitalised": False, "oxygen_support": "mask_or_prongs"}, None)
