"""ANCOVA of change from baseline adjusted for baseline and strata."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from msctrial.analysis.ancova import ancova
from msctrial.core.errors import InvalidInput
from tests.analysis.conftest import as_text
from tests.cli.conftest import assert_one_plain_error


@pytest.fixture(scope="module")
def spector() -> pd.DataFrame:
    """Spector & Mazzeo (1980), the PSI teaching experiment, as statsmodels bundles it: GRADE
    (improved), TUCE (the pre-test score), GPA, PSI (taught by the new method, 1, or not, 0)."""
    from statsmodels.datasets import spector as data

    frame = data.load_pandas().data
    frame["method"] = frame["PSI"].map({0.0: "usual", 1.0: "PSI"})
    return as_text(frame)


def test_the_psi_experiment_gives_greenes_published_linear_model(spector):
    """Greene, *Econometric Analysis*, 5th ed. (2003), Table 21.1, linear probability model of
    GRADE on a constant, GPA, TUCE and PSI: PSI 0.379 (standard error 0.139), TUCE 0.010, on
    32 students; here PSI is the arm, TUCE the baseline and GPA a covariate."""
    result = ancova(spector, outcome="GRADE", baseline="TUCE", arm="method", covariates=["GPA"],
                    reference="usual")  # fmt: skip
    assert result.n == 32
    assert round(result.difference, 3) == 0.379
    assert round(result.se, 3) == 0.139
    assert round(result.baseline_slope, 3) == 0.010
    assert result.df == 28
    assert result.covariates == {"GPA": "numeric"}
    assert result.ci_low < result.difference < result.ci_high


def trial(effect: float, n: int = 80, seed: int = 7) -> pd.DataFrame:
    """A two-arm P/F trial with a stratum; day 7 = baseline/2 + 100 + effect (MSC) + noise."""
    rng = np.random.default_rng(seed)
    arm = np.where(np.arange(n) % 2 == 0, "MSC", "placebo")
    stratum = np.where(np.arange(n) % 4 < 2, "severe", "critical")
    baseline = rng.normal(150, 30, n)
    day7 = baseline / 2 + 100 + (arm == "MSC") * effect + (stratum == "critical") * -20
    day7 = day7 + rng.normal(0, 15, n)
    return as_text(
        pd.DataFrame({"arm": arm, "severity": stratum, "pf0": baseline, "change": day7 - baseline})
    )


def test_a_simulated_effect_of_40_is_recovered_within_its_interval():
    result = ancova(trial(40), outcome="change", baseline="pf0", arm="arm",
                    covariates=["severity"], reference="placebo")  # fmt: skip
    assert result.ci_low < 40 < result.ci_high
    assert result.p_value < 0.001
    assert result.covariates == {"severity": "categorical"}
    assert result.baseline_slope == pytest.approx(-0.5, abs=0.15)


def test_an_empty_outcome_leaves_its_row_out():
    data = trial(0)
    data.loc[[1, 2, 3], "change"] = ""
    data.loc[4, "severity"] = ""
    result = ancova(data, outcome="change", baseline="pf0", arm="arm", covariates=["severity"])
    assert result.n == 76


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("change", "high", "change: row 5 holds 'high', not a number"),
        ("pf0", "n/a", "pf0: row 5 holds 'n/a', not a number"),
    ],
)
def test_a_value_that_is_not_a_number_is_refused(column, value, message):
    data = trial(0)
    data.loc[5, column] = value
    with pytest.raises(InvalidInput) as caught:
        ancova(data, outcome="change", baseline="pf0", arm="arm")
    assert (caught.value.message, caught.value.field) == (message, column)


def test_the_command_prints_the_contract_as_json(cli, write_csv):
    result = cli("analysis", "ancova", "--csv", write_csv(trial(40)), "--outcome", "change",
                 "--baseline", "pf0", "--arm", "arm", "--covariate", "severity",
                 "--reference", "placebo", "--json")  # fmt: skip
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert list(data)[:5] == ["n", "difference", "ci_low", "ci_high", "p_value"]
    assert data["ci_low"] < 40 < data["ci_high"]


def test_the_command_names_a_missing_covariate(cli, write_csv):
    result = cli("analysis", "ancova", "--csv", write_csv(trial(0)), "--outcome", "change",
                 "--baseline", "pf0", "--arm", "arm", "--covariate", "site")  # fmt: skip
    assert_one_plain_error(result, "site: the data set has no column 'site'")
