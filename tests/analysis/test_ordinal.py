"""The proportional-odds model for an ordinal outcome (the WHO scale at day 14 or 28)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels

from msctrial.analysis.ordinal import proportional_odds
from msctrial.core.errors import InvalidInput
from tests.analysis.conftest import as_text
from tests.cli.conftest import assert_one_plain_error

LEVELS = ["unlikely", "somewhat likely", "very likely"]


@pytest.fixture(scope="module")
def ucla() -> pd.DataFrame:
    """UCLA IDRE's ordered-logit example (400 students: apply to graduate school, pared, public,
    gpa), the CSV statsmodels ships for its own OrderedModel tests."""
    path = Path(statsmodels.__file__).parent / "miscmodels/tests/results/ologit_ucla.csv"
    return as_text(pd.read_csv(path, dtype=str))


def test_the_ucla_example_gives_the_published_ordered_logit(ucla):
    """UCLA IDRE, "Ordinal logistic regression | R data analysis examples" (MASS::polr) and its
    Stata twin (ologit apply pared public gpa): public -0.0586828 (SE 0.2978588), pared 1.047664,
    gpa 0.6157458, cut1 2.203323, cut2 4.298767."""
    result = proportional_odds(ucla, outcome="apply", arm="public", covariates=["pared", "gpa"],
                               reference="0", levels=LEVELS)  # fmt: skip
    assert result.n == 400
    assert result.log_odds_ratio == pytest.approx(-0.0586828, abs=1e-5)
    assert result.se == pytest.approx(0.2978588, abs=1e-5)
    assert result.coefficients["pared"] == pytest.approx(1.047664, abs=1e-5)
    assert result.coefficients["gpa"] == pytest.approx(0.6157458, abs=1e-5)
    cut1 = result.coefficients["unlikely/somewhat likely"]
    assert cut1 == pytest.approx(2.203323, abs=1e-5)
    # statsmodels stores the later thresholds as log increments.
    assert cut1 + np.exp(result.coefficients["somewhat likely/very likely"]) == pytest.approx(
        4.298767, abs=1e-5
    )
    assert result.odds_ratio == pytest.approx(np.exp(-0.0586828), abs=1e-5)


def test_a_numeric_scale_is_ordered_by_its_numbers_and_a_shift_is_found():
    rng = np.random.default_rng(5)
    arm = np.where(np.arange(200) % 2 == 0, "MSC", "placebo")
    score = np.clip(np.round(5 + rng.normal(0, 1.2, 200) - (arm == "MSC") * 1.0), 2, 10)
    frame = as_text(pd.DataFrame({"arm": arm, "who_day_14": score.astype(int)}))
    result = proportional_odds(frame, outcome="who_day_14", arm="arm", reference="placebo")
    assert result.odds_ratio < 0.5 and result.p_value < 0.001
    assert result.levels == sorted(result.levels, key=float)


def test_a_text_outcome_needs_its_levels_and_a_stray_level_is_named(ucla):
    with pytest.raises(InvalidInput, match="needs its levels in order"):
        proportional_odds(ucla, outcome="apply", arm="public")
    data = ucla.copy()
    data.loc[7, "apply"] = "maybe"
    with pytest.raises(InvalidInput, match="apply: row 7 holds 'maybe', not one of the levels"):
        proportional_odds(data, outcome="apply", arm="public", levels=LEVELS)


def test_the_command_prints_the_odds_ratio(cli, ucla, write_csv):
    result = cli("analysis", "ordinal", "--csv", write_csv(ucla), "--outcome", "apply",
                 "--arm", "public", "--covariate", "pared", "--covariate", "gpa",
                 "--levels", ",".join(LEVELS), "--reference", "0", "--json")  # fmt: skip
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert list(data)[:5] == ["n", "odds_ratio", "or_ci_low", "or_ci_high", "p_value"]
    assert round(data["odds_ratio"], 3) == 0.943


def test_the_command_names_a_missing_column(cli, ucla, write_csv):
    result = cli("analysis", "ordinal", "--csv", write_csv(ucla), "--outcome", "who",
                 "--arm", "public")  # fmt: skip
    assert_one_plain_error(result, "who: the data set has no column 'who'")
