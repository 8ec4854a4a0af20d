"""Baseline characteristics and adverse-event incidence: pooled, or one column per arm."""

from __future__ import annotations

import pandas as pd

from msctrial.analysis.descriptive import POOLED, ae_incidence, baseline_table

SUBJECTS = pd.DataFrame({
    "subject": ["A", "B", "C", "D"],
    "year_of_birth": [1960, 1970, 1980, 1990],
    "sex": ["female", "male", "male", "female"],
    "weight_kg": [60.0, 80.0, 70.0, 50.0],
    "severity": ["severe", "critical", "severe", "severe"],
    "pf_baseline": [200.0, 100.0, 150.0, 250.0],
})  # fmt: skip
AES = pd.DataFrame({
    "subject": ["A", "A", "B", "C"],
    "term": ["Fever", "Fever", "Chills", "Fever"],
    "grade": [1, 2, 3, 1],
    "serious": [False, False, True, False],
})  # fmt: skip


def test_a_blinded_baseline_table_has_one_pooled_column():
    table = baseline_table(SUBJECTS, year=2020)
    assert list(table.columns) == [POOLED]
    assert table.loc["subjects", POOLED] == "4"
    assert table.loc["age, years: median (IQR)", POOLED] == "45 (38–52)"
    assert table.loc["women", POOLED] == "2 (50%)"
    assert table.loc["severity: severe", POOLED] == "3 (75%)"


def test_with_arms_each_arm_has_its_column():
    table = baseline_table(SUBJECTS.assign(arm=["MSC", "placebo", "MSC", "placebo"]), year=2020)
    assert list(table.columns) == ["MSC", "placebo"]
    assert table.loc["severity: critical", "MSC"] == "0"


def test_adverse_events_count_subjects_not_events():
    table = ae_incidence(AES, SUBJECTS)
    assert table.loc["any adverse event", POOLED] == "3 (75%)"
    assert table.loc["term: Fever", POOLED] == "2 (50%)"  # A's two fevers count once
    assert table.loc["serious adverse event", POOLED] == "1 (25%)"
    assert table.loc["grade 3 or more", POOLED] == "1 (25%)"
    assert list(table.index[3:]) == ["term: Fever", "term: Chills"]
