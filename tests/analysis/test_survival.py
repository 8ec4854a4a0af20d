"""Time to event: Kaplan-Meier medians, log-rank and Cox on the Freireich 6-MP trial."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from msctrial.analysis.survival import compare_survival, cumulative_incidence, kaplan_meier
from msctrial.core.errors import InvalidInput
from tests.analysis.conftest import as_text


def test_freireich_log_rank_cox_and_medians_match_the_published_values(leukaemia):
    """Freireich leukaemia remission data (Gehan, Biometrika 1965; MASS::gehan in R).

    Published: log-rank chi-square 16.79 on 1 df, p = 4.17e-05 (Kleinbaum & Klein, *Survival
    Analysis: A Self-Learning Text*, 3rd ed. 2012, ch. 2; R ``survdiff(Surv(time, cens) ~ treat,
    data = gehan)`` prints Chisq = 16.8); Kaplan-Meier medians 23 weeks (6-MP) and 8 weeks
    (placebo) (Kleinbaum & Klein ch. 2); Cox hazard ratio placebo vs 6-MP 4.817, 95% CI 2.147 to
    10.81, coef 1.572 (R ``coxph(Surv(time, cens) ~ treat, data = gehan)``, Efron ties, as in
    Venables & Ripley, *MASS*, 4th ed., §13.3).
    """
    result = compare_survival(leukaemia, time="t", event="status", arm="arm")
    assert (result.reference, result.other) == ("6-MP", "placebo")
    assert (result.n, result.events) == (42, 30)
    assert result.logrank_chi2 == pytest.approx(16.79, abs=0.005)
    assert result.logrank_p == pytest.approx(4.17e-05, rel=0.01)
    assert result.hazard_ratio == pytest.approx(4.817, abs=0.001)
    assert (result.hr_ci_low, result.hr_ci_high) == (
        pytest.approx(2.147, abs=0.001),
        pytest.approx(10.81, abs=0.01),
    )
    assert result.median_by_arm == {"6-MP": 23.0, "placebo": 8.0}


def test_the_reference_arm_can_be_named_and_the_hazard_ratio_inverts(leukaemia):
    result = compare_survival(leukaemia, time="t", event="status", arm="arm", reference="placebo")
    assert result.other == "6-MP"
    assert result.hazard_ratio == pytest.approx(1 / 4.817, rel=1e-3)


def test_a_curve_that_never_falls_to_one_half_has_no_median():
    data = as_text(
        pd.DataFrame(
            {
                "t": [2, 5, 6, 7, 8, 3, 4, 6, 9],
                "e": [1, 0, 0, 0, 0, 1, 1, 0, 1],
                "arm": list("AAAAABBBB"),
            }
        )
    )
    assert compare_survival(data, time="t", event="e", arm="arm").median_by_arm["A"] is None


def test_the_kaplan_meier_table_has_the_band_and_numbers_at_risk(leukaemia):
    six_mp = leukaemia[leukaemia["arm"] == "6-MP"]
    curve = kaplan_meier(six_mp["t"].astype(float), six_mp["status"].astype(int))
    assert list(curve.columns) == ["survival", "ci_low", "ci_high", "at_risk"]
    # Kleinbaum & Klein ch. 2: S(6) = 18/21 = 0.8571 after the three relapses at week 6.
    assert curve.loc[6.0, "survival"] == pytest.approx(0.8571, abs=1e-4)
    assert curve.loc[6.0, "at_risk"] == 21


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("t", "six", "t: row 2 holds 'six', not a number"),
        ("t", "-1", "t: row 2 holds -1, a negative time"),
        ("t", "", "t: row 2 is empty"),
        ("status", "2", "status: row 2 holds '2'; it must be 0 or 1"),
        ("arm", "", "arm: row 2 is empty"),
    ],
)
def test_a_bad_cell_is_refused_naming_its_column_and_row(leukaemia, column, value, message):
    data = leukaemia.copy()
    data.loc[2, column] = value
    with pytest.raises(InvalidInput) as caught:
        compare_survival(data, time="t", event="status", arm="arm")
    assert caught.value.message == message
    assert caught.value.field == column


def test_three_arms_are_refused_naming_them(leukaemia):
    data = leukaemia.copy()
    data.loc[1, "arm"] = "high dose"
    with pytest.raises(
        InvalidInput, match="exactly two arms.*3 \\('6-MP', 'high dose', 'placebo'\\)"
    ):
        compare_survival(data, time="t", event="status", arm="arm")


def test_an_unknown_reference_arm_is_refused(leukaemia):
    with pytest.raises(InvalidInput, match="'MSC' is not an arm of column 'arm'"):
        compare_survival(leukaemia, time="t", event="status", arm="arm", reference="MSC")


def test_the_command_prints_the_contract_as_json(cli, leukaemia, write_csv):
    path = write_csv(leukaemia)
    result = cli("analysis", "survival", "--csv", path, "--time", "t", "--event", "status",
                 "--arm", "arm", "--json")  # fmt: skip
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert list(data)[:8] == [
        "n", "events", "logrank_chi2", "logrank_p", "hazard_ratio", "hr_ci_low", "hr_ci_high",
        "median_by_arm",
    ]  # fmt: skip
    assert data["median_by_arm"] == {"6-MP": 23.0, "placebo": 8.0}
    assert round(data["logrank_chi2"], 2) == 16.79


def test_the_command_says_the_figures_in_words(cli, leukaemia, write_csv):
    result = cli("analysis", "survival", "--csv", write_csv(leukaemia), "--time", "t",
                 "--event", "status", "--arm", "arm")  # fmt: skip
    assert result.code == 0
    assert "placebo vs 6-MP (reference)" in result.out
    assert "hazard_ratio     4.817" in result.out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--time", "weeks", "--event", "status"], "weeks: the data set has no column 'weeks'"),
        (["--time", "t", "--event", "logWBC"], "logWBC: row 1 holds '1.45'; it must be 0 or 1"),
    ],
)
def test_the_command_exits_2_with_one_plain_line(cli, leukaemia, write_csv, args, fragment):
    from tests.cli.conftest import assert_one_plain_error

    result = cli("analysis", "survival", "--csv", write_csv(leukaemia), "--arm", "arm", *args)
    assert_one_plain_error(result, fragment)


def test_a_missing_file_exits_2(cli, tmp_path):
    from tests.cli.conftest import assert_one_plain_error

    result = cli("analysis", "survival", "--csv", tmp_path / "none.csv", "--time", "t",
                 "--event", "e", "--arm", "a")  # fmt: skip
    assert_one_plain_error(result, "does not exist")


def test_without_censoring_the_cumulative_incidence_is_the_share_with_the_event():
    """Aalen-Johansen with no censoring reduces to the empirical proportion of subjects with
    the event of interest by each time (Kalbfleisch & Prentice 2002, §8.2.2)."""
    times = pd.Series([1.0, 2, 3, 4, 5, 6])
    events = pd.Series([1, 2, 1, 2, 1, 1])
    curve = cumulative_incidence(times, events)
    assert curve["incidence"].round(4).tolist() == [0, 0.1667, 0.1667, 0.3333, 0.3333, 0.5, 0.6667]
    assert (curve["ci_low"].dropna() <= curve["incidence"][curve["ci_low"].notna()]).all()
