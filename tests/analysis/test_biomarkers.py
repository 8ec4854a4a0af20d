"""Biomarker trajectories: the change from baseline by visit, on the log scale where skewed."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from scipy import stats

from msctrial.analysis.biomarkers import MARKERS, marker_columns, trajectory, trajectory_html

BY_KEY = {m.key: m for m in MARKERS}


def _values(rows: list[tuple[str, str, int, str, float]]) -> pd.DataFrame:
    """(subject, visit, study day, item, value) rows as the casebook's values with study_day."""
    form = {m.item: m.form for m in MARKERS}
    return pd.DataFrame(
        [
            {
                "subject": s,
                "visit": v,
                "study_day": d,
                "form": form[i],
                "item": i,
                "value": x,
                "text": None,
            }
            for s, v, d, i, x in rows
        ]  # fmt: skip
    )


def test_a_skewed_marker_changes_as_a_log_ratio_and_summarises_as_a_geometric_mean_ratio():
    values = _values([
        ("S1", "Day 0", 0, "il6", 10.0), ("S1", "Day 3", 3, "il6", 20.0),
        ("S2", "Day 0", 0, "il6", 10.0), ("S2", "Day 3", 3, "il6", 80.0),
    ])  # fmt: skip
    il6 = BY_KEY["il6"]
    columns = marker_columns(values, il6)
    assert columns.loc["S2", "il6_log_ratio_day_3"] == pytest.approx(math.log(8))
    assert columns.loc["S1", "il6_baseline"] == pytest.approx(10.0)
    row = trajectory(columns, il6).iloc[0]
    assert row["estimate"] == pytest.approx(math.sqrt(2 * 8))  # the geometric mean of 2 and 8
    low, high = stats.t.interval(
        0.95, 1, loc=math.log(4), scale=stats.sem([math.log(2), math.log(8)])
    )
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((math.exp(low), math.exp(high)))


def test_lymphocytes_change_on_the_linear_scale_from_the_last_value_on_or_before_day_0():
    values = _values([
        ("S1", "Screening", -1, "lymphocytes", 0.4), ("S1", "Day 0", 0, "lymphocytes", 0.5),
        ("S1", "Day 6", 6, "lymphocytes", 0.9),
    ])  # fmt: skip
    columns = marker_columns(values, BY_KEY["lymphocytes"])
    assert columns.loc["S1", "lymphocytes_change_day_6"] == pytest.approx(0.4)
    assert columns.loc["S1", "lymphocytes_baseline"] == pytest.approx(0.5)


def test_a_zero_below_the_assay_limit_counts_as_half_the_smallest_positive_value():
    values = _values([("S1", "Day 0", 0, "crp", 8.0), ("S1", "Day 3", 3, "crp", 0.0)])
    columns = marker_columns(values, BY_KEY["crp"])
    assert columns.loc["S1", "crp_log_ratio_day_3"] == pytest.approx(math.log(4.0 / 8.0))


def test_the_visits_follow_the_study_day_not_the_alphabet():
    values = _values([
        (s, v, d, "nlr", x)
        for s in ("S1", "S2")
        for v, d, x in (("Day 0", 0, 8.0), ("Day 14", 14, 3.0), ("Day 3", 3, 6.0))
    ])  # fmt: skip
    columns = marker_columns(values, BY_KEY["nlr"])
    assert [c for c in columns if c.startswith("nlr_log_ratio_")] == [
        "nlr_log_ratio_day_3", "nlr_log_ratio_day_14"
    ]  # fmt: skip


def test_a_missing_visit_is_missing_not_imputed():
    values = _values([
        ("S1", "Day 0", 0, "lymphocytes", 0.5), ("S1", "Day 3", 3, "lymphocytes", 0.7),
        ("S2", "Day 0", 0, "lymphocytes", 0.6),
    ])  # fmt: skip
    columns = marker_columns(values, BY_KEY["lymphocytes"])
    assert math.isnan(columns.loc["S2", "lymphocytes_change_day_3"])
    assert trajectory(columns, BY_KEY["lymphocytes"]).iloc[0]["n"] == 1


def test_the_pooled_trajectory_names_no_group_and_the_dsmbs_has_one_row_per_arm_and_visit():
    marker = BY_KEY["lymphocytes"]
    endpoints = pd.DataFrame(
        {
            "arm": ["Placebo", "UC-MSC", "Placebo", "UC-MSC"],
            "lymphocytes_change_day_3": [0.1, 0.3, 0.2, 0.5],
        }  # fmt: skip
    )
    pooled = trajectory(endpoints.drop(columns="arm"), marker)
    assert list(pooled["group"]) == ["all subjects"]
    assert "Placebo" not in trajectory_html(pooled, marker)
    assert "group" not in trajectory_html(pooled, marker)
    by_arm = trajectory(endpoints, marker, group="arm")
    assert by_arm.set_index("group")["estimate"].to_dict() == pytest.approx(
        {"Placebo": 0.15, "UC-MSC": 0.4}
    )
