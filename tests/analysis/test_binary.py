"""A binary outcome in two arms: risk difference, risk ratio, odds ratio and their tests."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from msctrial.analysis.binary import compare_binary
from msctrial.core.errors import InvalidInput
from tests.analysis.conftest import as_text
from tests.cli.conftest import assert_one_plain_error


def subjects(counts: dict[tuple[str, str], tuple[int, int]]) -> pd.DataFrame:
    """One row per subject from {(arm, stratum): (with the outcome, without)}."""
    rows = [
        {"arm": arm, "stratum": stratum, "died": died}
        for (arm, stratum), (yes, no) in counts.items()
        for died, count in ((1, yes), (0, no))
        for _ in range(count)
    ]
    return as_text(pd.DataFrame(rows))


@pytest.fixture(scope="module")
def physicians() -> pd.DataFrame:
    """The Physicians' Health Study: myocardial infarction in 189 of 11,034 on placebo and
    104 of 11,037 on aspirin (Agresti, *An Introduction to Categorical Data Analysis*, 2nd ed.
    2007, Table 2.3)."""
    return subjects({("placebo", "all"): (189, 10845), ("aspirin", "all"): (104, 10933)})


def test_the_physicians_health_study_gives_agrestis_published_intervals(physicians):
    """Agresti (2007) §2.2.3: difference 0.0077, 95% CI (0.005, 0.011); §2.2.5: relative risk
    1.82, 95% CI (1.43, 2.30) (the unrounded upper limit, exp(0.598 + 1.96 × 0.121), is 2.306,
    so 2.31 to two places); §2.3.3: odds ratio 1.83, 95% CI (1.44, 2.33); §2.4.3 (Table 2.3):
    Pearson X² = 25.01 (here the same 2x2 table)."""
    result = compare_binary(physicians, outcome="died", arm="arm", reference="aspirin")
    assert result.n == 22071
    assert result.risk_difference == pytest.approx(0.0077, abs=5e-5)
    assert (round(result.rd_ci_low, 3), round(result.rd_ci_high, 3)) == (0.005, 0.011)
    assert round(result.risk_ratio, 2) == 1.82
    assert (round(result.rr_ci_low, 2), round(result.rr_ci_high, 2)) == (1.43, 2.31)
    assert round(result.odds_ratio, 2) == 1.83
    assert (round(result.or_ci_low, 2), round(result.or_ci_high, 2)) == (1.44, 2.33)
    assert round(result.chi2, 2) == 25.01
    assert result.fisher_p < 1e-5
    assert result.cmh_p is None


def test_fishers_tea_tasting_gives_the_published_exact_p_value():
    """Fisher's tea-tasting experiment, 3 of 4 cups right (Agresti 2007 §2.6.2, Table 2.8):
    two-sided P = 0.486."""
    data = subjects({("milk first", "-"): (3, 1), ("tea first", "-"): (1, 3)})
    assert compare_binary(data, outcome="died", arm="arm").fisher_p == pytest.approx(
        0.486, abs=5e-4
    )


def test_the_penicillin_rabbits_give_rs_mantel_haenszel_statistic():
    """R's ``?mantelhaen.test`` example (Rabbits, penicillin given at once or 1.5 h later, five
    strata of dose; Bishop, Fienberg & Holland 1975): Mantel-Haenszel X-squared = 3.9286,
    df = 1, p-value = 0.04747 (with the continuity correction, R's default)."""
    # (cured, died) per (delay, dose): R's array c(0, 0, 6, 5, 3, 0, 3, 6, ...) by stratum.
    counts = {
        ("none", "1/8"): (0, 6), ("1.5h", "1/8"): (0, 5),
        ("none", "1/4"): (3, 3), ("1.5h", "1/4"): (0, 6),
        ("none", "1/2"): (6, 0), ("1.5h", "1/2"): (2, 4),
        ("none", "1"): (5, 1), ("1.5h", "1"): (6, 0),
        ("none", "4"): (2, 0), ("1.5h", "4"): (5, 0),
    }  # fmt: skip
    result = compare_binary(subjects(counts), outcome="died", arm="arm", strata="stratum")
    assert result.cmh_p == pytest.approx(0.04747, abs=5e-6)
    assert result.strata_used == 5


def test_a_stratum_with_one_arm_only_adds_nothing_to_the_cmh_test():
    counts = {("A", "s1"): (5, 5), ("B", "s1"): (2, 8), ("A", "s2"): (3, 3)}
    assert (
        compare_binary(subjects(counts), outcome="died", arm="arm", strata="stratum").strata_used
        == 1
    )


def test_no_event_in_one_arm_gives_an_infinite_ratio_reported_as_null(cli, write_csv):
    data = subjects({("A", "-"): (0, 10), ("B", "-"): (4, 6)})
    result = compare_binary(data, outcome="died", arm="arm")
    assert np.isinf(result.risk_ratio)
    assert result.to_dict()["risk_ratio"] is None


def test_an_outcome_that_is_not_0_or_1_is_refused_naming_the_row():
    data = subjects({("A", "-"): (2, 2), ("B", "-"): (2, 2)})
    data.loc[3, "died"] = "yes"
    with pytest.raises(InvalidInput, match="died: row 3 holds 'yes', not a number"):
        compare_binary(data, outcome="died", arm="arm")


def test_the_command_prints_the_contract_as_json(cli, physicians, write_csv):
    result = cli("analysis", "binary", "--csv", write_csv(physicians), "--outcome", "died",
                 "--arm", "arm", "--reference", "aspirin", "--strata", "stratum", "--json")  # fmt: skip
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert list(data)[:10] == [
        "n", "risk_difference", "rd_ci_low", "rd_ci_high", "risk_ratio", "rr_ci_low",
        "rr_ci_high", "odds_ratio", "fisher_p", "cmh_p",
    ]  # fmt: skip
    assert round(data["risk_ratio"], 2) == 1.82
    assert data["cmh_p"] < 1e-5


def test_the_command_names_an_unknown_arm(cli, physicians, write_csv):
    result = cli("analysis", "binary", "--csv", write_csv(physicians), "--outcome", "died",
                 "--arm", "arm", "--reference", "MSC")  # fmt: skip
    assert_one_plain_error(result, "reference: 'MSC' is not an arm of column 'arm'")
