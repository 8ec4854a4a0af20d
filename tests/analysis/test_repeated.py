"""Repeated measures over visits: the MMRM through its public function and its command.

The fit's numbers are proven against SAS PROC MIXED in test_mmrm_reference.py; these tests hold
the properties, the simulator's effect, the input checks and the command's contract.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from msctrial.analysis.repeated import compare_covariances, repeated_measures
from msctrial.core.errors import InvalidInput
from msctrial.simulation.patients import draw_patient, state_on
from tests.analysis.conftest import as_text
from tests.cli.conftest import assert_one_plain_error

ARGS = {"outcome": "il6", "arm": "arm", "visit": "day", "subject": "subject"}


def visits(effect: float, subjects: int = 40, seed: int = 3) -> pd.DataFrame:
    """IL-6 by visit: a subject level, a fall over days 7, 14 and 28, MSC lower by ``effect``."""
    rng = np.random.default_rng(seed)
    rows = []
    for number in range(subjects):
        arm = "MSC" if number % 2 else "placebo"
        level = rng.normal(0, 8)
        for day in (7, 14, 28):
            value = 60 + level - day + (arm == "MSC") * -effect + rng.normal(0, 4 + day / 7)
            rows.append({"subject": f"S{number:03d}", "arm": arm, "day": day, "il6": value})
    return as_text(pd.DataFrame(rows))


def simulated_pf(subjects: int, effect: float, seed: int) -> pd.DataFrame:
    """P/F on days 3, 7, 14 and 28 from the simulator's patient model (``simulation.patients``,
    the draws ``msctrial clinical simulate`` makes), 1:1 alternating arms; a patient who has
    died by a visit has no value there (a monotone dropout)."""
    rng = np.random.default_rng(seed)
    rows = []
    for number in range(subjects):
        patient = draw_patient(rng, site="WUH", year=2020, screen_failure_rate=0.0)
        msc = number % 2 == 1
        for day in (3, 7, 14, 28):
            state = state_on(patient, day, msc, effect, rng)
            gone = patient.dies(msc, effect) and day >= patient.death_day
            rows.append({"subject": f"P{number}", "arm": "UC-MSC" if msc else "Placebo",
                         "day": day, "severity": patient.severity, "pf0": patient.baseline.pf,
                         "pf": "" if gone else state["pf"] - patient.baseline.pf})  # fmt: skip
    return as_text(pd.DataFrame(rows))


def test_with_every_visit_present_the_by_visit_differences_are_those_of_the_arm_means():
    """With complete, balanced data the arm × visit model is saturated in its means and GLS
    equals OLS whatever the covariance (Zyskind, Ann. Math. Stat. 1967): each visit's difference
    is the difference of the arms' means there. A property, not a published figure."""
    data = visits(5)
    result = repeated_measures(data, **ARGS, reference="placebo", by_visit=True)
    numeric = data.assign(il6=data["il6"].astype(float))
    means = numeric.groupby(["day", "arm"])["il6"].mean().unstack()
    for row in result.by_visit:
        expected = means.loc[row["visit"], "MSC"] - means.loc[row["visit"], "placebo"]
        assert row["difference"] == pytest.approx(expected, abs=1e-6)
    assert (result.n_observations, result.n_subjects, result.n_visits) == (120, 40, 3)
    assert result.covariance == "unstructured" and result.converged
    assert "MMRM" in result.model


def test_under_compound_symmetry_the_average_difference_is_that_of_the_arm_means():
    """Without the interaction, complete balanced data, compound symmetry: GLS is OLS, so the
    arm effect is the difference of the arms' means (Zyskind's condition again)."""
    data = visits(5)
    result = repeated_measures(data, **ARGS, reference="placebo", covariance="cs")
    means = data.assign(il6=data["il6"].astype(float)).groupby("arm")["il6"].mean()
    assert result.difference == pytest.approx(means["MSC"] - means["placebo"], abs=1e-6)
    assert result.covariance == "compound symmetry"


def test_a_simulated_effect_on_pf_is_found_and_no_effect_is_not():
    """The simulator's MSC arm recovers faster (P/F rises sooner): with 160 patients the MMRM
    (unstructured, baseline P/F and severity as covariates) finds the day-7 difference; the
    same trial drawn without an effect does not reject."""
    args = {"outcome": "pf", "arm": "arm", "visit": "day", "subject": "subject",
            "covariates": ["pf0", "severity"], "reference": "Placebo", "by_visit": True}  # fmt: skip
    found = repeated_measures(simulated_pf(160, 1.0, seed=7), **args)
    day7 = next(row for row in found.by_visit if row["visit"] == "7")
    assert day7["difference"] > 0 and day7["p_value"] < 0.01
    assert found.converged
    null = repeated_measures(simulated_pf(160, 0.0, seed=7), **args)
    assert all(row["p_value"] > 0.05 for row in null.by_visit if row["visit"] == "7")
    assert null.p_value > 0.05


@pytest.mark.parametrize("covariance", ["unstructured", "ar1", "ar1h", "cs"])
def test_each_structure_fits_and_reports_its_criteria(covariance):
    result = repeated_measures(visits(10), **ARGS, reference="placebo", covariance=covariance)
    assert result.converged
    assert result.ci_low < result.difference < result.ci_high
    assert result.aic > result.minus2_reml_loglik and result.bic > result.aic
    assert 0 < result.df < 120


def test_the_structures_are_compared_by_the_same_criteria_each_fit_reports():
    data = visits(10)
    comparison = compare_covariances(data, **ARGS, reference="placebo")
    table = comparison.summary
    assert list(table.index) == ["unstructured", "AR(1)", "heterogeneous AR(1)",
                                 "compound symmetry"]  # fmt: skip
    assert list(table["parameters"]) == [6, 2, 4, 2]
    alone = repeated_measures(data, **ARGS, reference="placebo", covariance="ar1")
    assert table.loc["AR(1)", "aic"] == pytest.approx(alone.aic)
    assert table.loc["AR(1)", "bic"] == pytest.approx(alone.bic)
    assert "AIC" in comparison.to_html()


def test_a_structure_the_data_cannot_support_is_named_with_its_reason():
    comparison = compare_covariances(visits(5, subjects=3), **ARGS)
    unstructured = comparison.rows[0]
    assert unstructured["covariance"] == "unstructured"
    assert "too few" in unstructured["not_estimable"]


def test_by_visit_gives_each_visits_difference_in_day_order_and_the_lsmeans():
    result = repeated_measures(visits(10), **ARGS, reference="placebo", by_visit=True)
    assert [row["visit"] for row in result.by_visit] == ["7", "14", "28"]
    for row in result.by_visit:
        assert row["ci_low"] < row["difference"] < row["ci_high"] and row["df"] > 0
    assert {(row["visit"], row["arm"]) for row in result.lsmeans} == {
        (day, arm) for day in ("7", "14", "28") for arm in ("MSC", "placebo")
    }


def test_a_missing_visit_leaves_that_row_out_and_keeps_the_subject():
    data = visits(5)
    data.loc[[1, 5, 9], "il6"] = ""
    result = repeated_measures(data, **ARGS)
    assert (result.n_observations, result.n_subjects) == (117, 40)


def test_a_missing_subject_is_refused_naming_the_row():
    data = visits(5)
    data.loc[4, "subject"] = ""
    with pytest.raises(InvalidInput, match="subject: row 4 is empty"):
        repeated_measures(data, **ARGS)


def test_a_visit_given_twice_for_a_subject_is_refused_naming_the_row():
    data = visits(5)
    data.loc[2, "day"] = data.loc[1, "day"]
    with pytest.raises(InvalidInput, match="day: row 2 repeats visit '7' of subject 'S000'"):
        repeated_measures(data, **ARGS)


def test_an_unstructured_covariance_needs_more_subjects_than_visits():
    data = visits(5, subjects=3)
    with pytest.raises(InvalidInput, match="covariance: 3 subjects .* too few") as caught:
        repeated_measures(data, **ARGS)
    assert caught.value.field == "covariance"


def test_the_issues_spelling_of_compound_symmetry_is_accepted():
    spelled = repeated_measures(visits(5), **ARGS, covariance="compound-symmetry")
    assert spelled.covariance == "compound symmetry"
    assert spelled.difference == repeated_measures(visits(5), **ARGS, covariance="cs").difference


def test_an_unknown_covariance_is_refused():
    with pytest.raises(InvalidInput, match="covariance: 'toeplitz' is not"):
        repeated_measures(visits(5), **ARGS, covariance="toeplitz")


def test_the_command_prints_the_model_it_fitted(cli, write_csv):
    result = cli("analysis", "repeated", "--csv", write_csv(visits(10)), "--outcome", "il6",
                 "--arm", "arm", "--visit", "day", "--subject", "subject",
                 "--reference", "placebo", "--by-visit", "--covariance", "ar1", "--json")  # fmt: skip
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["covariance"] == "AR(1)" and "MMRM" in data["model"]
    assert len(data["by_visit"]) == 3
    assert data["ci_low"] < -10 < data["ci_high"]
    assert {"difference", "se", "df", "p_value", "minus2_reml_loglik"} <= set(data)


def test_the_command_compares_the_covariance_structures(cli, write_csv):
    result = cli("analysis", "repeated", "--csv", write_csv(visits(10)), "--outcome", "il6",
                 "--arm", "arm", "--visit", "day", "--subject", "subject",
                 "--compare-covariances", "--json")  # fmt: skip
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert [row["covariance"] for row in data["covariances"]][0] == "unstructured"
    assert data["covariances"][0]["aic"] == pytest.approx(data["aic"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (["--visit", "visit"], "visit: the data set has no column 'visit'"),
        (["--covariance", "banded"], "covariance: 'banded' is not a covariance structure"),
        (["--outcome", "arm"], "arm: row 1 holds 'placebo', not a number"),
    ],
)
def test_the_command_refuses_bad_input_naming_the_field(cli, write_csv, change, message):
    args = {"--outcome": "il6", "--arm": "arm", "--visit": "day", "--subject": "subject"}
    args.update(dict(zip(change[::2], change[1::2], strict=True)))
    flat = [item for pair in args.items() for item in pair]
    result = cli("analysis", "repeated", "--csv", write_csv(visits(0)), *flat)
    assert_one_plain_error(result, message)


def test_the_command_refuses_an_unstructured_covariance_for_too_few_subjects(cli, write_csv):
    result = cli("analysis", "repeated", "--csv", write_csv(visits(0, subjects=3)),
                 "--outcome", "il6", "--arm", "arm", "--visit", "day", "--subject", "subject")  # fmt: skip
    assert_one_plain_error(result, "covariance: 3 subjects and 9 values are too few for an "
                           "unstructured covariance over 3 visits")  # fmt: skip
