"""Every expert-guidance rule at its boundaries (seed §3.1-3.2; DOMAIN.md §2 and §4).

Each case edits the reference design, which meets every rule, in one place and asserts exactly
which findings appear, so a rule that fires too eagerly fails here as well as one that is silent.
"""

from __future__ import annotations

import pytest

from msctrial.protocol.guidance import Finding, check_guidance, has_deviation
from msctrial.protocol.model import Protocol
from tests.protocol.conftest import cells_arm, edited


def found(
    protocol: Protocol, weights_kg: tuple[float, float] = (50.0, 100.0)
) -> set[tuple[str, str]]:
    return {(f.rule, f.level) for f in check_guidance(protocol, weights_kg=weights_kg)}


def only(protocol: Protocol, rule: str, **kw: object) -> list[Finding]:
    return [f for f in check_guidance(protocol, **kw) if f.rule == rule]  # type: ignore[arg-type]


def schedule(**kwargs: object):  # noqa: ANN201
    def change(data: dict) -> None:
        cells_arm(data)["dosing"]["schedule"] = {**kwargs}

    return change


def test_the_reference_design_has_no_findings(reference):
    assert check_guidance(reference) == []


# --- infusions: at most 3 per patient (seed §3.1) ------------------------------------------


@pytest.mark.parametrize(
    ("sched", "expected"),
    [
        ({"days": [0, 3, 6]}, set()),
        ({"days": [0, 3, 6, 9]}, {("too_many_infusions", "deviation")}),
        ({"days": [0, 3], "optional_days": [6]}, set()),
        ({"days": [0, 3, 6], "optional_days": [9]}, {("too_many_infusions", "deviation")}),
        ({"every_days": 3, "times": 3}, set()),
        ({"every_days": 3, "times": 4}, {("too_many_infusions", "deviation")}),
        ({"days": [0]}, set()),
    ],
    ids=[
        "exactly-3",
        "4",
        "2-plus-1-optional",
        "3-plus-1-optional",
        "every-3-days-3-times",
        "every-3-days-4-times",
        "single",
    ],
)
def test_more_than_three_infusions_is_a_deviation_and_optional_doses_count(sched, expected):
    assert found(edited(schedule(**sched))) == expected


def test_a_fourth_infusion_names_the_arm_and_its_schedule_field():
    [f] = only(edited(schedule(days=[0, 3, 6, 9])), "too_many_infusions")
    assert f.field == "arms[0].dosing.schedule"
    assert "'UC-MSC' gives up to 4 administrations" in f.message
    assert "at most 3" in f.message and "seed §3.1" in f.source


def test_a_count_of_administrations_without_days_is_judged_too():
    def change(data: dict) -> None:
        cells_arm(data)["dosing"]["schedule"] = {}
        cells_arm(data)["dosing"]["administrations"] = 4

    assert found(edited(change)) == {("too_many_infusions", "deviation")}


# --- interval: at least 3 days (seed §3.1) -------------------------------------------------


@pytest.mark.parametrize(
    ("sched", "expected"),
    [
        ({"days": [0, 3, 6]}, set()),
        ({"days": [0, 2, 5]}, {("interval_short", "deviation")}),
        ({"days": [0, 3, 5]}, {("interval_short", "deviation")}),
        ({"days": [0, 3], "optional_days": [5]}, {("interval_short", "deviation")}),
        ({"every_days": 2, "times": 3}, {("interval_short", "deviation")}),
        ({"every_days": 3, "times": 2}, set()),
    ],
    ids=["exactly-3-days", "2-days-first", "2-days-last", "optional-2-days", "every-2", "every-3"],
)
def test_less_than_three_days_between_infusions_is_a_deviation(sched, expected):
    assert found(edited(schedule(**sched))) == expected


def test_a_short_interval_says_how_many_days_and_lists_the_schedule():
    [f] = only(edited(schedule(days=[1, 3, 7])), "interval_short")
    assert "2 days between administrations (days 1, 3, 7)" in f.message
    assert "at least 3" in f.message


# --- dose per kg: 1-5 x 10^6 cells/kg (seed §3.1) ------------------------------------------


def dose(value: float, unit: str = "cells/kg", maximum: float | None = None):  # noqa: ANN201
    def change(data: dict) -> None:
        d = {"value": value, "unit": unit}
        if maximum is not None:
            d["max"] = maximum
        cells_arm(data)["dosing"]["dose"] = d

    return change


@pytest.mark.parametrize(
    ("value", "maximum", "expected"),
    [
        (1.0e6, None, set()),
        (0.99e6, None, {("dose_per_kg_low", "deviation")}),
        (0.5e6, None, {("dose_per_kg_low", "deviation")}),
        (5.0e6, None, set()),
        (5.01e6, None, {("dose_per_kg_high", "deviation")}),
        (10e6, None, {("dose_per_kg_high", "deviation")}),
        (1.0e6, 5.0e6, set()),
        (0.5e6, 6.0e6, {("dose_per_kg_low", "deviation"), ("dose_per_kg_high", "deviation")}),
    ],
    ids=[
        "exactly-1e6",
        "just-below-1e6",
        "0.5e6",
        "exactly-5e6",
        "just-above-5e6",
        "10e6",
        "range-1-5e6",
        "range-0.5-6e6",
    ],
)
def test_a_per_kg_dose_outside_one_to_five_million_cells_is_a_deviation(value, maximum, expected):
    assert found(edited(dose(value, maximum=maximum))) == expected


def test_dose_findings_are_written_in_the_guidance_notation():
    [low] = only(edited(dose(0.5e6)), "dose_per_kg_low")
    assert low.message == (
        "arm 'UC-MSC': 0.5×10^6 cells/kg is below the guidance's 1×10^6 cells/kg"
    )
    assert low.field == "arms[0].dosing.dose"


def test_every_dose_level_of_an_escalation_is_judged():
    def change(data: dict) -> None:
        dosing = cells_arm(data)["dosing"]
        del dosing["dose"]
        dosing["dose_levels"] = ["1e6 cells/kg", "3e6 cells/kg", "1e7 cells/kg"]

    assert found(edited(change)) == {("dose_per_kg_high", "deviation")}


# A fixed dose per administration is judged over the reference weights, 50-100 kg by default
# (issue 2): per kg it is highest for the lightest patient and lowest for the heaviest.
@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (1.0e8, set()),  # 1.0-2.0 x 10^6/kg: exactly 1 x 10^6 at 100 kg
        (2.5e8, set()),  # 2.5-5.0 x 10^6/kg: exactly 5 x 10^6 at 50 kg
        (4.0e7, {("dose_per_kg_low", "deviation")}),  # 0.4-0.8: below at every weight
        (9.9e7, {("dose_per_kg_low", "advice")}),  # 0.99-1.98: below only over 99 kg
        (5.0e7, {("dose_per_kg_low", "advice")}),  # 0.5-1.0: at 50 kg exactly on the line
        (4.9e7, {("dose_per_kg_low", "deviation")}),  # 0.49-0.98: below at every weight
        (3.0e8, {("dose_per_kg_high", "advice")}),  # 3-6: above only under 60 kg
        (5.0e8, {("dose_per_kg_high", "advice")}),  # 5-10: at 100 kg exactly on the line
        (6.0e8, {("dose_per_kg_high", "deviation")}),  # 6-12: above at every weight
    ],
)
def test_a_fixed_dose_is_a_deviation_when_outside_for_every_weight_and_advice_for_some(
    cells, expected
):
    assert found(edited(dose(cells, unit="cells"))) == expected


@pytest.mark.parametrize(
    ("cells", "rule", "weights_text"),
    [
        (9.9e7, "dose_per_kg_low", "for patients over 99 kg"),
        (3.0e8, "dose_per_kg_high", "for patients under 60 kg"),
        (4.0e7, "dose_per_kg_low", "for every reference weight"),
        (6.0e8, "dose_per_kg_high", "for every reference weight"),
    ],
)
def test_a_fixed_dose_finding_names_the_weights_it_concerns(cells, rule, weights_text):
    [f] = only(edited(dose(cells, unit="cells")), rule)
    assert weights_text in f.message
    assert "over 50-100 kg" in f.message


def test_the_reference_weights_change_the_verdict_on_a_fixed_dose():
    protocol = edited(dose(9.9e7, unit="cells"))
    assert found(protocol, weights_kg=(50.0, 90.0)) == set()
    assert found(protocol, weights_kg=(110.0, 120.0)) == {("dose_per_kg_low", "deviation")}


def test_a_fixed_dose_range_is_judged_at_both_ends():
    protocol = edited(dose(4.0e7, unit="cells", maximum=6.0e8))
    assert found(protocol) == {("dose_per_kg_low", "deviation"), ("dose_per_kg_high", "deviation")}


def test_extracellular_vesicle_doses_are_not_judged_by_the_cell_band():
    def change(data: dict) -> None:
        arm = cells_arm(data)
        arm["product"] = "extracellular_vesicles"
        arm["dosing"]["dose"] = "2e9 particles"

    assert found(edited(change)) == set()


# --- indication: severe, critical, or common type progressing (seed §3.1) -------------------


@pytest.mark.parametrize(
    ("severity", "expected"),
    [
        (["severe"], set()),
        (["critical"], set()),
        (["moderate_progressing"], set()),
        (["severe", "critical", "moderate_progressing"], set()),
        (["moderate", "severe"], {("indication", "deviation")}),
        (["mild"], {("indication", "deviation")}),
        ([], set()),  # unstated: the rule does not guess
    ],
)
def test_eligible_severity_outside_severe_critical_or_progressing_is_a_deviation(
    severity, expected
):
    def change(data: dict) -> None:
        data["eligibility"]["severity"] = severity

    assert found(edited(change)) == expected


def test_the_indication_finding_names_the_severities_outside_the_guidance():
    def change(data: dict) -> None:
        data["eligibility"]["severity"] = ["mild", "moderate", "severe"]

    [f] = only(edited(change), "indication")
    assert f.message.startswith("eligible severity includes mild, moderate;")
    assert f.field == "eligibility.severity"


# --- design: randomised, double-blind (seed §3.1) ------------------------------------------


@pytest.mark.parametrize(
    ("allocation", "expected"),
    [
        ("randomised", set()),
        ("non_randomised", {("not_randomised", "advice")}),
        ("single_arm", {("not_randomised", "advice")}),
        (None, set()),
    ],
)
def test_a_design_that_is_not_randomised_gets_advice(allocation, expected):
    def change(data: dict) -> None:
        data["design"]["allocation"] = allocation

    assert found(edited(change)) == expected


@pytest.mark.parametrize(
    ("masking", "expected"),
    [
        ("none", {("not_double_blind", "advice")}),
        ("single", {("not_double_blind", "advice")}),
        ("double", set()),
        ("triple", set()),
        ("quadruple", set()),
        (None, set()),
    ],
)
def test_a_design_less_than_double_blind_gets_advice(masking, expected):
    def change(data: dict) -> None:
        data["design"]["masking"] = masking

    assert found(edited(change)) == expected


# --- placebo: normal saline with albumin (seed §3.1) ---------------------------------------


@pytest.mark.parametrize(
    ("vehicle", "missing"),
    [
        ("saline + 1% human albumin", None),
        ("0.9% sodium chloride with 1% HSA", None),
        ("生理盐水 + 白蛋白", None),
        ("0.9% saline", "albumin"),
        ("5% albumin in water", "saline"),
        ("Ringer's lactate", "saline and albumin"),
    ],
)
def test_a_placebo_that_is_not_saline_with_albumin_gets_advice(vehicle, missing):
    def change(data: dict) -> None:
        data["arms"][1]["vehicle"] = vehicle

    findings = only(edited(change), "placebo_composition")
    if missing is None:
        assert findings == []
    else:
        [f] = findings
        assert f.level == "advice" and f.field == "arms[1].vehicle"
        assert f"without {missing};" in f.message


def test_a_controlled_trial_without_a_placebo_arm_gets_advice():
    def change(data: dict) -> None:
        data["arms"][1].update(type="standard_care", product="none", vehicle=None)

    [f] = only(edited(change), "placebo_composition")
    assert f.field == "arms" and f.level == "advice"


def test_a_single_arm_trial_is_not_told_about_placebo():
    def change(data: dict) -> None:
        del data["arms"][1]

    assert only(edited(change), "placebo_composition") == []


# --- standard care in every arm (seed §3.1) ------------------------------------------------


@pytest.mark.parametrize(
    ("arm", "value", "expected"),
    [
        (0, False, {("standard_care_both_arms", "advice")}),
        (1, False, {("standard_care_both_arms", "advice")}),
        (1, None, set()),  # unstated
        (1, True, set()),
    ],
)
def test_an_arm_without_standard_care_gets_advice(arm, value, expected):
    def change(data: dict) -> None:
        data["arms"][arm]["standard_care"] = value

    protocol = edited(change)
    assert found(protocol) == expected
    flagged = only(protocol, "standard_care_both_arms")
    assert bool(flagged) == bool(expected)
    for f in flagged:
        assert f.field == f"arms[{arm}].standard_care"


# --- endpoints (seed §3.2) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("measures", "expected"),
    [
        (["oxygenation_index"], set()),
        (["inflammatory_factors"], set()),
        (["lung_imaging"], set()),
        (["spo2", "lung_imaging"], set()),
        (["spo2"], {("primary_endpoint", "advice")}),
        (["time_to_clinical_improvement"], {("primary_endpoint", "advice")}),
        ([], {("primary_endpoint", "advice")}),
    ],
)
def test_a_primary_endpoint_outside_oxygenation_inflammation_or_imaging_gets_advice(
    measures, expected
):
    def change(data: dict) -> None:
        data["endpoints"]["primary"] = [{"measure": m, "time_points": [14]} for m in measures]

    assert found(edited(change)) == expected


@pytest.mark.parametrize(
    ("keep", "missing_text"),
    [
        (["fever", "chills", "allergic_reaction", "local_inflammation"], None),
        (["infusion_reactions"], None),
        (["fever", "allergic_reaction", "local_inflammation"], "chills"),
        (["adverse_events"], "fever, chills, allergic reaction, local inflammation (adverse"),
        ([], "fever, chills, allergic reaction, local inflammation"),
    ],
)
def test_expected_infusion_reactions_not_followed_get_advice(keep, missing_text):
    def change(data: dict) -> None:
        data["endpoints"]["safety"] = [{"measure": m, "time_points": [0]} for m in keep]

    findings = only(edited(change), "safety_endpoints")
    if missing_text is None:
        assert findings == []
    else:
        [f] = findings
        assert f.level == "advice" and f.field == "endpoints.safety"
        assert f.message.startswith(f"expected reactions not followed: {missing_text}")


# --- follow-up (seed §3.2; the numbers are this project's, CLINICAL_FACTS status D) ---------


@pytest.mark.parametrize(
    ("follow_up_days", "expected", "text"),
    [
        (180, set(), None),
        (365, set(), None),
        (179, {("follow_up", "advice")}, "follow-up ends at day 179"),
        (34, {("follow_up", "advice")}, "stem-cell safety follow-up to day 180"),
        (33, {("follow_up", "advice")}, "ends 27 days after the last administration"),
    ],
    ids=["180", "365", "179", "28-days-after-last-dose", "27-days-after-last-dose"],
)
def test_follow_up_shorter_than_the_safety_period_gets_advice(follow_up_days, expected, text):
    def change(data: dict) -> None:
        data["follow_up_days"] = follow_up_days

    protocol = edited(change)
    assert found(protocol) == expected
    if text:
        [f] = only(protocol, "follow_up")
        assert text in f.message and f.field == "follow_up_days"


def test_follow_up_falls_back_to_the_last_visit_when_not_stated():
    def change(data: dict) -> None:
        del data["follow_up_days"]
        data["visits"] = [v for v in data["visits"] if v["day"] <= 90]

    [f] = only(edited(change), "follow_up")
    assert "follow-up ends at day 90" in f.message


def test_a_protocol_that_states_no_visits_or_endpoints_is_not_judged_on_follow_up():
    def change(data: dict) -> None:
        del data["follow_up_days"]
        data["visits"] = []
        data["endpoints"] = {}

    assert only(edited(change), "follow_up") == []


# --- levels and order -----------------------------------------------------------------------


def test_deviations_come_first_and_decide_the_outcome():
    def change(data: dict) -> None:
        data["design"]["masking"] = "none"
        cells_arm(data)["dosing"]["schedule"] = {"days": [0, 2, 4, 6]}

    findings = check_guidance(edited(change))
    assert [f.level for f in findings] == ["deviation", "deviation", "advice"]
    assert has_deviation(findings)
    assert not has_deviation([f for f in findings if f.level == "advice"])


def test_every_finding_carries_rule_level_message_field_and_source():
    def change(data: dict) -> None:
        data["eligibility"]["severity"] = ["mild"]
        data["design"]["masking"] = "none"

    findings = check_guidance(edited(change))
    assert len(findings) >= 2  # the indication and the masking at least
    for f in findings:
        assert set(f.to_dict()) == {"rule", "level", "message", "field", "source"}
        assert all(f.to_dict().values())
