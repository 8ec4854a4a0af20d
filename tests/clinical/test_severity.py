"""Severity by NHC trial version 7 at its boundaries, the altitude correction, Berlin, WHO."""

from __future__ import annotations

import pytest

from msctrial.clinical.subjects.severity import classify_severity, parse_observations
from msctrial.core.errors import InvalidInput, OutOfRange

MODERATE = {"pneumonia_on_imaging": True}


def classify(**obs):
    return classify_severity(parse_observations({**MODERATE, **obs}))


@pytest.mark.parametrize(
    ("obs", "expected"),
    [
        ({"respiratory_rate": 29}, "moderate"),
        ({"respiratory_rate": 30}, "severe"),  # RR ≥ 30 (CLINICAL_FACTS §1.1)
        ({"spo2_rest_pct": 94}, "moderate"),
        ({"spo2_rest_pct": 93}, "severe"),  # SpO2 ≤ 93%
        ({"pao2_mmhg": 90.3, "fio2": 0.3}, "moderate"),  # P/F 301
        ({"pao2_mmhg": 90, "fio2": 0.3}, "severe"),  # P/F 300
        ({"lesion_progression_pct_48h": 50}, "moderate"),
        ({"lesion_progression_pct_48h": 50.1}, "severe"),  # > 50% within 24-48 h
        ({"mechanical_ventilation": True}, "critical"),
        ({"shock": True, "respiratory_rate": 35}, "critical"),
        ({"organ_failure_icu": True}, "critical"),
        ({"clinician_progressing": True}, "moderate_progressing"),
        ({"clinician_progressing": True, "spo2_rest_pct": 92}, "severe"),
    ],
)
def test_severity_at_each_boundary(obs, expected):
    assert classify(**obs).severity == expected


def test_no_pneumonia_on_imaging_is_mild():
    assert classify_severity(parse_observations({"pneumonia_on_imaging": False})).severity == "mild"


def test_kunming_altitude_correction_makes_pf_350_severe():
    """CLINICAL_FACTS §0 worked example: PB ≈ 608 mmHg, P/F 350 × 608/760 = 280 → severe."""
    result = classify(pao2_mmhg=87.5, fio2=0.25, altitude_m=1890, barometric_pressure_mmhg=608)
    assert (result.pf_ratio, result.pf_ratio_corrected) == (350.0, 280.0)
    assert result.severity == "severe"
    assert any("CLINICAL_FACTS §0.1" in r for r in result.reasons)


def test_the_correction_applies_only_above_1000_m():
    sea = classify(pao2_mmhg=87.5, fio2=0.25, altitude_m=40)
    assert (sea.pf_ratio_corrected, sea.severity) == (350.0, "moderate")
    at_1000 = classify(pao2_mmhg=87.5, fio2=0.25, altitude_m=1000, barometric_pressure_mmhg=674)
    assert at_1000.pf_ratio_corrected == 350.0


def test_pressure_is_estimated_from_altitude_when_not_measured():
    result = classify(pao2_mmhg=87.5, fio2=0.25, altitude_m=1890)
    assert 275 < result.pf_ratio_corrected < 282 and result.severity == "severe"


@pytest.mark.parametrize(
    ("pf", "peep", "grade"),
    [
        (301, 5, "none"),
        (300, 5, "mild"),
        (200, 5, "moderate"),
        (100, 5, "severe"),
        (150, 4, None),
        (150, None, None),
    ],
)
def test_berlin_grade_needs_peep_of_5(pf, peep, grade):
    obs = {"pao2_mmhg": pf * 0.5, "fio2": 0.5}
    if peep is not None:
        obs["peep_cmh2o"] = peep
    assert classify(**obs).ards_berlin == grade


@pytest.mark.parametrize(
    ("obs", "score"),
    [
        ({"oxygen_support": "none"}, 4),
        ({"oxygen_support": "mask_or_prongs"}, 5),
        ({"oxygen_support": "high_flow_or_niv"}, 6),
        ({"mechanical_ventilation": True, "pao2_mmhg": 80, "fio2": 0.5}, 7),
        ({"mechanical_ventilation": True, "pao2_mmhg": 70, "fio2": 0.5}, 8),
        ({"mechanical_ventilation": True, "pao2_mmhg": 80, "fio2": 0.5, "vasopressors": True}, 8),
        ({"mechanical_ventilation": True, "pao2_mmhg": 70, "fio2": 0.5, "shock": True}, 9),
        ({}, None),
    ],
)
def test_who_clinical_progression_scale(obs, score):
    assert classify(**obs).who_scale == score


@pytest.mark.parametrize(
    ("obs", "field", "error"),
    [
        ({"fio2": 21, "pao2_mmhg": 60}, "fio2", OutOfRange),
        ({"fio2": 0.2, "pao2_mmhg": 60}, "fio2", OutOfRange),
        ({"spo2_rest_pct": 150}, "spo2_rest_pct", OutOfRange),
        ({"respiratory_rate": 3}, "respiratory_rate", OutOfRange),
        ({"pao2_mmhg": 800, "fio2": 0.5}, "pao2_mmhg", OutOfRange),
        ({"spo2": 90}, "spo2", InvalidInput),
        ({"respiratory_rate": "fast"}, "respiratory_rate", InvalidInput),
        ({"pao2_mmhg": 60}, "fio2", InvalidInput),
        ({"age_years": 12}, "age_years", InvalidInput),
    ],
)
def test_implausible_or_unknown_input_names_the_field(obs, field, error):
    with pytest.raises(error) as err:
        classify(**obs)
    assert err.value.field == field


def test_mild_or_moderate_needs_the_imaging_finding():
    with pytest.raises(InvalidInput) as err:
        classify_severity(parse_observations({"respiratory_rate": 20}))
    assert err.value.field == "pneumonia_on_imaging"
