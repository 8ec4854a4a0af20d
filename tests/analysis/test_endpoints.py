"""Derived endpoints from stored visits: each rule on a few hand-made subjects."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from msctrial.analysis.endpoints import (
    cao_category,
    change_from_baseline,
    derive_endpoints,
    mortality,
    oxygenation,
    time_to_improvement,
    ventilator_free_days,
    with_study_day,
)

DAY0 = dt.date(2026, 3, 1)


def subject(code: str, exit_kind: str | None = None, exit_day: float = np.nan) -> dict:
    return {"subject": code, "site": "WUH", "severity": "severe", "day0": DAY0,
            "exit_kind": exit_kind, "exit_day": exit_day}  # fmt: skip


def value(code: str, day: int, form: str, item: str, number=None, text=None) -> dict:  # noqa: ANN001
    return {"subject": code, "visit": f"Day {day}",
            "visit_date": (DAY0 + dt.timedelta(days=day)).isoformat(), "form": form,
            "item": item, "value": number, "text": text}  # fmt: skip


def frames(subjects: list[dict], values: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    people = pd.DataFrame(subjects)
    return with_study_day(pd.DataFrame(values), people), people


def who(code: str, day: int, score: int, support: str = "mask_or_prongs") -> list[dict]:
    return [
        value(code, day, "who_scale", "who_score", number=score),
        value(code, day, "who_scale", "oxygen_support", text=support),
        value(code, day, "who_scale", "hospitalised", text="true" if score >= 4 else "false"),
    ]


@pytest.mark.parametrize(("who_score", "cao"), [(0, 1), (2, 1), (3, 2), (4, 3), (5, 4), (6, 5),
                                               (7, 6), (9, 6), (10, 7)])  # fmt: skip
def test_the_who_scale_reads_as_caos_seven_categories(who_score, cao):
    assert cao_category(who_score) == cao


def test_change_from_baseline_uses_the_last_value_on_or_before_day_0():
    values, _ = frames(
        [subject("A")],
        [value("A", -1, "cbc", "lymphocytes", 0.6), value("A", 0, "cbc", "lymphocytes", 0.7),
         value("A", 3, "cbc", "lymphocytes", 0.9), value("A", 6, "cbc", "lymphocytes", 1.3)],
    )  # fmt: skip
    change = change_from_baseline(values, "cbc", "lymphocytes")
    assert change["change"].round(2).tolist() == [0.2, 0.6]
    assert set(change["baseline"]) == {0.7}


def test_the_altitude_corrected_pf_replaces_the_measured_one_where_stored():
    values, _ = frames(
        [subject("A")],
        [value("A", 0, "blood_gas", "pf_ratio", 350), value("A", 0, "blood_gas",
         "pf_ratio_corrected", 280), value("A", 3, "blood_gas", "pf_ratio", 300)],
    )  # fmt: skip
    assert sorted(oxygenation(values)["value"]) == [280, 300]


def test_mortality_counts_deaths_and_leaves_early_leavers_alive_out():
    people = [subject("died", "died", 20), subject("alive"), subject("left", "withdrawn", 10),
              subject("late", "died", 40)]  # fmt: skip
    visits = [value("alive", 28, "vital_signs", "heart_rate", 80),
              value("late", 28, "vital_signs", "heart_rate", 90)]  # fmt: skip
    values, subjects = frames(people, visits)
    died = mortality(values, subjects, 28)
    assert died.to_dict() == {"died": 1.0, "alive": 0.0, "left": pytest.approx(np.nan, nan_ok=True),
                              "late": 0.0}  # fmt: skip
    assert mortality(values, subjects, 90)["late"] == 1.0


def test_time_to_improvement_is_a_two_category_fall_or_discharge_censored_at_28():
    """Cao et al., NEJM 2020: improvement of two categories or discharge, whichever first;
    no improvement, or death first, censored at day 28 (CLINICAL_FACTS §2.3)."""
    people = [subject("better"), subject("home"), subject("same"), subject("died", "died", 9),
              subject("left", "withdrawn", 6)]  # fmt: skip
    visits = [
        *who("better", 0, 6, "high_flow_or_niv"), *who("better", 3, 5), *who("better", 6, 4),
        *who("home", 0, 5), *who("home", 3, 5),
        value("home", 10, "hospital_status", "discharge_date",
              text=(DAY0 + dt.timedelta(days=8)).isoformat()),
        *who("same", 0, 5), *who("same", 14, 5), *who("same", 28, 4),
        *who("died", 0, 7, "mechanical_ventilation"), *who("died", 6, 9, "mechanical_ventilation"),
        *who("left", 0, 5), *who("left", 3, 5),
    ]  # fmt: skip
    values, subjects = frames(people, visits)
    ttci = time_to_improvement(values, subjects)
    cao = ttci[["improved", "time"]]
    assert cao.loc["better"].tolist() == [1, 6.0]  # WHO 6 → 4 is Cao 5 → 3
    assert cao.loc["home"].tolist() == [1, 8.0]
    assert cao.loc["same"].tolist() == [0, 28.0]
    assert cao.loc["died"].tolist() == [0, 28.0]
    assert cao.loc["left"].tolist() == [0, 6.0]
    # The competing-risks coding: death first is its own event, on its own day.
    assert ttci.loc["died", ["competing", "competing_time"]].tolist() == [2, 9.0]
    assert ttci.loc["better", ["competing", "competing_time"]].tolist() == [1, 6.0]
    assert ttci.loc["same", ["competing", "competing_time"]].tolist() == [0, 28.0]


def test_the_who_scale_at_a_day_is_the_nearest_score_within_three_days():
    from msctrial.analysis.endpoints import who_score_on

    people = [subject("A"), subject("B")]
    visits = [*who("A", 0, 6), *who("A", 13, 5), *who("A", 16, 4), *who("B", 0, 5),
              *who("B", 21, 4)]  # fmt: skip
    values, subjects = frames(people, visits)
    scores = who_score_on(values, subjects, 14)
    assert scores["A"] == 5 and np.isnan(scores["B"])


def test_ventilator_free_days_count_support_until_the_next_visit_and_zero_for_the_dead():
    people = [subject("tube"), subject("died", "died", 12), subject("never")]
    visits = [
        *who("tube", 0, 7, "mechanical_ventilation"), *who("tube", 3, 7, "mechanical_ventilation"),
        *who("tube", 6, 5, "mask_or_prongs"),
        *who("died", 0, 8, "mechanical_ventilation"),
        *who("never", 0, 5), *who("never", 6, 4, "none"),
    ]  # fmt: skip
    values, subjects = frames(people, visits)
    free = ventilator_free_days(values, subjects)
    assert free.to_dict() == {"tube": 22.0, "died": 0.0, "never": 28.0}


def test_derive_endpoints_gives_one_row_per_subject_with_pf_change_by_visit():
    people = [subject("A"), subject("B", "died", 5)]
    visits = [
        *who("A", 0, 5), *who("A", 6, 3), *who("B", 0, 7, "mechanical_ventilation"),
        value("A", 0, "blood_gas", "pf_ratio", 150), value("A", 6, "blood_gas", "pf_ratio", 250),
        value("B", 0, "blood_gas", "pf_ratio", 90), value("B", 3, "blood_gas", "pf_ratio", 70),
    ]  # fmt: skip
    people_frame = pd.DataFrame(people)
    endpoints = derive_endpoints(pd.DataFrame(visits), people_frame)
    assert list(endpoints.index) == ["A", "B"]
    assert "arm" not in endpoints.columns
    assert [c for c in endpoints if c.startswith("pf_change")] == [
        "pf_change_day_3",
        "pf_change_day_6",
    ]
    assert endpoints.loc["A", "pf_change_day_6"] == 100
    assert endpoints.loc["B", "died_by_day_28"] == 1.0
    assert endpoints.loc["B", "ventilator_free_days"] == 0.0
    assert endpoints.loc["B", "who_day_14"] == 10.0  # died by day 14: the worst category
    assert np.isnan(endpoints.loc["A", "who_day_14"])  # no score within 3 days of day 14
