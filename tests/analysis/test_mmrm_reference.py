"""The MMRM against SAS PROC MIXED on R mmrm's ``fev_data`` (tests/analysis/data/README.md).

Every figure below is printed by SAS PROC MIXED (REML, ``ddfm=satterthwaite``) in the mmrm
repository's ``design/SAS/`` folder, the numbers R mmrm's own tests check against
(tests/testthat/test-tmb.R, test-satterthwaite.R, test-mmrm-methods.R). SAS prints 4 decimals
(df rounded to integers, so ours must lie within 0.6 of its integer); its REML iterations stop at a relative criterion of 1e-8, so its
estimates can differ from the exact optimum in the 4th significant digit of a covariance
parameter (where −2ℓ differs by more than 1e-8, ours is the lower), while −2 log-likelihood
agrees to 1e-5. The tolerances say so.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from msctrial.analysis.dataset import read_csv
from msctrial.analysis.mmrm import Covariance, MmrmFit, contrast, fit_mmrm
from msctrial.analysis.repeated import RepeatedResult, repeated_measures

DATA = Path(__file__).parent / "data" / "fev_data.csv"


@pytest.fixture(scope="module")
def fev() -> pd.DataFrame:
    return read_csv(DATA)


def _fit(fev: pd.DataFrame, structure: str, terms: list[str]) -> MmrmFit:
    """FEV1 on an intercept and the named 0/1 terms (SAS's ``MODEL FEV1 = ARMCD SEX``, with
    PBO and Male the reference levels: "ARMCD=TRT", "SEX=Female"), no visit effect."""
    used = fev[fev["FEV1"] != ""]
    columns = [np.ones(len(used))]
    for term in terms:
        name, level = term.split("=")
        columns.append((used[name] == level).to_numpy(dtype=float))
    visit = used["AVISIT"].str.removeprefix("VIS").astype(int).to_numpy() - 1
    subject = pd.factorize(used["USUBJID"])[0]
    x = np.column_stack(columns)
    return fit_mmrm(used["FEV1"].astype(float).to_numpy(), x, subject, visit,
                    Covariance(structure, 4))  # fmt: skip


def _assert_coefficients(fit: MmrmFit, expected: list[tuple[float, float, int, float, float]]):
    for j, (estimate, se, df, low, high) in enumerate(expected):
        row = contrast(fit, np.eye(len(expected))[j])
        assert row.estimate == pytest.approx(estimate, abs=1e-3)
        assert row.se == pytest.approx(se, abs=2e-4)
        assert row.df == pytest.approx(df, abs=0.6)
        assert (row.ci_low, row.ci_high) == pytest.approx((low, high), abs=1.5e-3)


def test_unstructured_matches_sas_on_arm_and_sex():
    """design/SAS/sas_coef_ci_reml_un.txt: ``MODEL FEV1 = ARMCD SEX / ddfm=satterthwaite;
    REPEATED AVISIT / subject=USUBJID type=un``, REML; mmrm test-mmrm-methods.R checks the
    same CIs."""
    fit = _fit(read_csv(DATA), "unstructured", ["ARMCD=TRT", "SEX=Female"])
    assert fit.converged
    assert fit.minus2_loglik == pytest.approx(3666.96698281, abs=1e-4)
    assert (round(fit.aic, 1), round(fit.bic(200), 1)) == (3687.0, 3720.0)
    _assert_coefficients(fit, [
        (41.0762, 0.5504, 156, 39.9890, 42.1634),
        (3.8265, 0.6421, 161, 2.5584, 5.0945),
        (-0.1404, 0.6434, 161, -1.4108, 1.1301),
    ])  # fmt: skip
    expected = [[108.64, 45.5282, -2.4314, -46.7566], [45.5282, 40.1475, 0.8698, -13.0626],
                [-2.4314, 0.8698, 24.7713, 18.9219], [-46.7566, -13.0626, 18.9219, 152.49]]  # fmt: skip
    assert fit.sigma == pytest.approx(np.array(expected), abs=0.02)


def test_ar1_matches_sas_on_arm_and_sex():
    """design/SAS/sas_coef_ci_reml_ar1.txt: the same model with ``type=AR(1)``: AR(1) 0.3931,
    residual 84.6947, −2 Res Log Likelihood 3853.30169736, AIC 3857.3, BIC 3863.9."""
    fit = _fit(read_csv(DATA), "ar1", ["ARMCD=TRT", "SEX=Female"])
    assert fit.converged
    assert fit.minus2_loglik == pytest.approx(3853.30169736, abs=1e-4)
    assert (round(fit.aic, 1), round(fit.bic(200), 1)) == (3857.3, 3863.9)
    assert fit.sigma[0, 0] == pytest.approx(84.6947, abs=1e-3)
    assert fit.sigma[0, 1] / fit.sigma[0, 0] == pytest.approx(0.3931, abs=1e-4)
    _assert_coefficients(fit, [
        (40.1643, 0.8377, 190, 38.5119, 41.8167),
        (4.2211, 0.9629, 187, 2.3216, 6.1206),
        (0.2364, 0.9646, 188, -1.6664, 2.1392),
    ])  # fmt: skip


@pytest.mark.parametrize(
    ("structure", "minus2", "estimate", "se", "df", "source"),
    [
        ("unstructured", 3700.94648570, 42.8338, 0.3509, 171, "sas_log_simple_reml.txt"),
        ("ar1", 3875.49945459, 42.3255, 0.5013, 188, "sas_ar1_reml.txt"),
        ("cs", 3917.98183508, 42.2896, 0.4285, 187, "sas_cs_reml.txt"),
        ("ar1h", 3739.96835012, 41.6955, 0.3947, 191, "sas_ar1h_reml.txt"),
    ],
)
def test_the_mean_alone_matches_sas_for_each_structure(structure, minus2, estimate, se, df,
                                                       source):  # fmt: skip
    """``MODEL FEV1 = / ddfm=satterthwaite`` with each structure, REML (design/SAS/<source>;
    mmrm test-tmb.R and test-satterthwaite.R check the same −2ℓ, estimate and SE; SAS prints no
    df for AR(1) there, 188 is R mmrm's)."""
    fit = _fit(read_csv(DATA), structure, [])
    row = contrast(fit, np.ones(1))
    assert fit.converged
    assert fit.minus2_loglik == pytest.approx(minus2, abs=1e-4)
    assert row.estimate == pytest.approx(estimate, abs=1e-3)
    assert row.se == pytest.approx(se, abs=1e-4)
    assert row.df == pytest.approx(df, abs=0.6)


def test_heterogeneous_ar1_covariance_matches_sas():
    """design/SAS/sas_ar1h_reml.txt: Var(1..4) 92.3009, 38.5178, 35.2148, 176.37, ARH(1)
    0.4130, AIC 3750.0, BIC 3766.5 (mmrm test-tmb.R checks the same)."""
    fit = _fit(read_csv(DATA), "ar1h", [])
    variances = np.diag(fit.sigma)
    assert variances == pytest.approx([92.3009, 38.5178, 35.2148, 176.37], abs=0.02)
    assert fit.sigma[0, 1] / math.sqrt(variances[0] * variances[1]) == pytest.approx(
        0.4130, abs=1e-4
    )
    assert (round(fit.aic, 1), round(fit.bic(200), 1)) == (3750.0, 3766.5)


def test_compound_symmetry_covariance_matches_sas():
    """design/SAS/sas_cs_reml.txt: CS 5.8943, residual 81.0025 (total 86.8968, correlation
    0.06783), AIC 3922.0, BIC 3928.6. SAS stopped after one iteration; its CS parameter is
    0.008 from the exact optimum, whose −2ℓ is 4e-6 lower."""
    fit = _fit(read_csv(DATA), "cs", [])
    assert fit.sigma[0, 0] == pytest.approx(86.8968, abs=2e-3)
    assert fit.sigma[0, 1] == pytest.approx(5.8943, abs=0.01)
    assert (round(fit.aic, 1), round(fit.bic(200), 1)) == (3922.0, 3928.6)


@pytest.fixture(scope="module")
def full(fev) -> RepeatedResult:
    """The "real MMRM" of design/SAS/sas.R: ``MODEL FEV1 = ARMCD AVISIT ARMCD*AVISIT RACE SEX``,
    unstructured, REML, with ``LSMEANS AVISIT*ARMCD``, through the public function."""
    return repeated_measures(fev, outcome="FEV1", arm="ARMCD", visit="AVISIT", subject="USUBJID",
                             covariates=["RACE", "SEX"], reference="PBO", by_visit=True)  # fmt: skip


def test_the_full_mmrm_matches_sas_fit_statistics(full):
    """design/SAS/sas_log_reml.txt: −2 Res Log Likelihood 3386.44987722, AIC 3406.4, BIC
    3439.4 (200 subjects), 537 observations used."""
    assert full.converged and full.covariance == "unstructured"
    assert full.n_observations == 537
    assert full.minus2_reml_loglik == pytest.approx(3386.44987722, abs=1e-4)
    assert (round(full.aic, 1), round(full.bic, 1)) == (3406.4, 3439.4)


def test_the_full_mmrm_matches_sas_coefficients(full):
    """design/SAS/sas_log_reml.txt, Solution for Fixed Effects (SEX's reference is Female
    here, Male in SAS: the sign turns and the intercept moves; the SAS intercept is not
    compared)."""
    expected = {
        "arm": (3.7745, 1.0741, 146), "visit[VIS2]": (4.8396, 0.8016, 144),
        "visit[VIS3]": (10.3422, 0.8227, 156), "visit[VIS4]": (15.0537, 1.3129, 138),
        "arm:visit[VIS2]": (-0.04231, 1.1292, 139), "arm:visit[VIS3]": (-0.6939, 1.1876, 158),
        "arm:visit[VIS4]": (0.6240, 1.8510, 130),
        "RACE[Black or African American]": (1.5305, 0.6244, 169),
        "RACE[White]": (5.6436, 0.6656, 157), "SEX[Male]": (-0.3262, 0.5319, 166),
    }  # fmt: skip
    rows = {row["term"]: row for row in full.coefficients}
    for term, (estimate, se, df) in expected.items():
        assert rows[term]["estimate"] == pytest.approx(estimate, abs=1e-3), term
        assert rows[term]["se"] == pytest.approx(se, abs=2e-4), term
        assert rows[term]["df"] == pytest.approx(df, abs=0.6), term


def test_the_full_mmrm_matches_sas_lsmeans_and_differences_by_visit(full):
    """design/SAS/sas_log_reml.txt, Least Squares Means and their differences TRT − PBO at
    each visit (the slices): estimate, SE, df, 95% CI."""
    lsmeans = {(r["visit"], r["arm"]): r for r in full.lsmeans}
    expected = {
        ("VIS1", "TRT"): (37.1063, 0.7626, 143), ("VIS1", "PBO"): (33.3318, 0.7554, 148),
        ("VIS2", "TRT"): (41.9037, 0.6023, 144), ("VIS2", "PBO"): (38.1715, 0.6117, 147),
        ("VIS3", "TRT"): (46.7546, 0.5086, 130), ("VIS3", "PBO"): (43.6740, 0.4617, 130),
        ("VIS4", "TRT"): (52.7841, 1.1877, 133), ("VIS4", "PBO"): (48.3855, 1.1886, 134),
    }  # fmt: skip
    for key, (estimate, se, df) in expected.items():
        assert lsmeans[key]["estimate"] == pytest.approx(estimate, abs=1e-3), key
        assert lsmeans[key]["se"] == pytest.approx(se, abs=2e-4), key
        assert lsmeans[key]["df"] == pytest.approx(df, abs=0.6), key
    differences = [
        ("VIS1", 3.7745, 1.0741, 146, 1.6517, 5.8974),
        ("VIS2", 3.7322, 0.8588, 145, 2.0348, 5.4296),
        ("VIS3", 3.0806, 0.6896, 131, 1.7164, 4.4448),
        ("VIS4", 4.3985, 1.6805, 133, 1.0746, 7.7225),
    ]
    assert [row["visit"] for row in full.by_visit] == ["VIS1", "VIS2", "VIS3", "VIS4"]
    for row, (_, estimate, se, df, low, high) in zip(full.by_visit, differences, strict=True):
        assert row["difference"] == pytest.approx(estimate, abs=1e-3)
        assert row["se"] == pytest.approx(se, abs=2e-4)
        assert row["df"] == pytest.approx(df, abs=0.6)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), abs=2e-3)
