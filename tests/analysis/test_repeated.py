"""Repeated measures over visits: the random-intercept model, named for what it is."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from msctrial.analysis.repeated import repeated_measures
from msctrial.core.errors import InvalidInput
from tests.analysis.conftest import as_text
from tests.cli.conftest import assert_one_plain_error


def visits(effect: float, subjects: int = 40, seed: int = 3) -> pd.DataFrame:
    """IL-6 by visit: a subject level, a fall over days 7, 14 and 28, MSC lower by ``effect``."""
    rng = np.random.default_rng(seed)
    rows = []
    for number in range(subjects):
        arm = "MSC" if number % 2 else "placebo"
        level = rng.normal(0, 8)
        for day in (7, 14, 28):
            value = 60 + level - day + (arm == "MSC") * -effect + rng.normal(0, 4)
            rows.append({"subject": f"S{number:03d}", "arm": arm, "day": day, "il6": value})
    return as_text(pd.DataFrame(rows))


def test_with_every_visit_present_the_difference_is_that_of_the_arm_means():
    """With balanced, complete data the GLS estimate under compound symmetry equals the OLS one,
    the difference of the arms' means (Zyskind's condition, Ann. Math. Stat. 1967). A property,
    not a published figure: no published fit of this model on an arm-by-visit data set is at
    hand, and statsmodels' own tests compare MixedLM with R's lme4."""
    data = visits(5)
    result = repeated_measures(data, outcome="il6", arm="arm", visit="day", subject="subject",
                               reference="placebo")  # fmt: skip
    means = data.assign(il6=data["il6"].astype(float)).groupby("arm")["il6"].mean()
    assert result.difference == pytest.approx(means["MSC"] - means["placebo"], abs=1e-6)
    assert (result.n_observations, result.n_subjects) == (120, 40)
    assert result.subject_variance > result.residual_variance > 0
    assert "not an MMRM" in result.model


def test_a_simulated_effect_is_found_and_no_effect_is_not():
    found = repeated_measures(visits(10), outcome="il6", arm="arm", visit="day",
                              subject="subject", reference="placebo")  # fmt: skip
    assert found.ci_low < -10 < found.ci_high and found.p_value < 0.01
    null = repeated_measures(visits(0), outcome="il6", arm="arm", visit="day",
                             subject="subject", reference="placebo")  # fmt: skip
    assert null.p_value > 0.05


def test_by_visit_gives_each_visits_difference_in_day_order():
    result = repeated_measures(visits(10), outcome="il6", arm="arm", visit="day",
                               subject="subject", reference="placebo", by_visit=True)  # fmt: skip
    assert [row["visit"] for row in result.by_visit] == ["7", "14", "28"]
    for row in result.by_visit:
        assert row["ci_low"] < row["difference"] < row["ci_high"]


def test_a_missing_visit_leaves_that_row_out_and_keeps_the_subject():
    data = visits(5)
    data.loc[[1, 5, 9], "il6"] = ""
    result = repeated_measures(data, outcome="il6", arm="arm", visit="day", subject="subject")
    assert (result.n_observations, result.n_subjects) == (117, 40)


def test_a_missing_subject_is_refused_naming_the_row():
    data = visits(5)
    data.loc[4, "subject"] = ""
    with pytest.raises(InvalidInput, match="subject: row 4 is empty"):
        repeated_measures(data, outcome="il6", arm="arm", visit="day", subject="subject")


def test_the_command_prints_the_model_it_fitted(cli, write_csv):
    result = cli("analysis", "repeated", "--csv", write_csv(visits(10)), "--outcome", "il6",
                 "--arm", "arm", "--visit", "day", "--subject", "subject",
                 "--reference", "placebo", "--by-visit", "--json")  # fmt: skip
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert "not an MMRM" in data["model"]
    assert len(data["by_visit"]) == 3
    assert data["ci_low"] < -10 < data["ci_high"]


def test_the_command_names_a_missing_visit_column(cli, write_csv):
    result = cli("analysis", "repeated", "--csv", write_csv(visits(0)), "--outcome", "il6",
                 "--arm", "arm", "--visit", "visit", "--subject", "subject")  # fmt: skip
    assert_one_plain_error(result, "visit: the data set has no column 'visit'")
