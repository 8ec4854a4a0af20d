"""Repeated measures over visits: a random-intercept linear mixed model, and what it is not.

Python has no MMRM (a mixed model for repeated measures with an unstructured residual
covariance over visits, REML and Kenward-Roger or Satterthwaite degrees of freedom, as SAS
PROC MIXED and R's ``mmrm`` fit). statsmodels' ``MixedLM`` fits random effects; what this
module fits is the outcome on the arm, the visit (a factor) and the covariates with one random
intercept per subject, by REML. Its implied covariance over visits is compound symmetry (one
variance, one non-negative correlation), so it is the MMRM with a compound-symmetry structure,
not the unstructured MMRM a protocol usually names as its primary analysis. Confidence
intervals and p-values are Wald (normal), as statsmodels reports them; there is no small-sample
degrees-of-freedom correction. Rows with an empty outcome are left out (every other visit of
that subject still counts), as a likelihood-based analysis under missing at random does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.stats import norm
from statsmodels.regression.mixed_linear_model import MixedLM, MixedLMResults

from msctrial.analysis.dataset import is_numeric, labels, numbers, require_columns, two_arms
from msctrial.analysis.result import Result
from msctrial.core.errors import InvalidInput

MODEL = "random-intercept linear mixed model (statsmodels MixedLM, REML); not an MMRM"


@dataclass(frozen=True)
class RepeatedResult(Result):
    """The arm difference over visits (``other`` minus ``reference``), and per visit if asked."""

    n_observations: int
    n_subjects: int
    difference: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    reference: str
    other: str
    subject_variance: float
    residual_variance: float
    model: str = MODEL
    by_visit: list[dict[str, float | str]] = field(default_factory=list)

    method = (
        "Random-intercept linear mixed model by REML (statsmodels MixedLM): the outcome on the "
        "arm, the visit and the covariates, one random intercept per subject (compound-symmetric "
        "covariance over visits). Wald 95% CI. This is not an MMRM with an unstructured "
        "covariance."
    )


def _visit_order(visits: pd.Series) -> list[str]:
    """Visits in numeric order when they are numbers (day 7 before day 14), else sorted."""
    levels = list(visits.unique())
    try:
        return sorted(levels, key=float)
    except ValueError:
        return sorted(levels)


def _design(
    frame: pd.DataFrame,
    is_other: pd.Series,
    visits: pd.Series,
    order: list[str],
    covariates: Sequence[str],
    by_visit: bool,
) -> pd.DataFrame:
    visit = pd.Categorical(visits, categories=order)
    dummies = pd.get_dummies(visit, prefix="visit", dtype=float).iloc[:, 1:]
    dummies.index = frame.index
    parts = [pd.DataFrame({"other": is_other.astype(float)}, index=frame.index), dummies]
    if by_visit:
        parts.append(dummies.mul(is_other.astype(float), axis=0).add_prefix("other:"))
    for name in covariates:
        if is_numeric(frame, name):
            parts.append(numbers(frame, name, allow_missing=True).rename(f"cov:{name}").to_frame())
        else:
            parts.append(
                pd.get_dummies(labels(frame, name), prefix=f"cov:{name}", dtype=float).iloc[:, 1:]
            )
    return sm.add_constant(pd.concat(parts, axis=1))


def _fit(
    y: pd.Series, subjects: pd.Series, design: pd.DataFrame
) -> tuple[MixedLMResults, pd.DataFrame]:
    """The REML fit on the rows with an outcome (and every covariate), and those rows."""
    data = pd.concat([y.rename("outcome"), subjects.rename("subject"), design], axis=1).dropna()
    if data["subject"].nunique() < 3 or data["other"].nunique() < 2:
        raise InvalidInput(
            f"{y.name}: too few subjects with a value ({data['subject'].nunique()}) in both arms",
            field=str(y.name),
        )
    exog = data.drop(columns=["outcome", "subject"])
    # A visit at which one arm has no value leaves an empty interaction column; drop it.
    exog = exog.loc[:, (exog != 0).any(axis=0) | (exog.columns == "const")]
    fit = MixedLM(data["outcome"], exog, groups=data["subject"]).fit(reml=True)
    return fit, data


def _contrast(fit: MixedLMResults, weights: dict[str, float]) -> tuple[float, float]:
    """Estimate and standard error of a weighted sum of fixed effects."""
    names = list(weights)
    vector = np.array([weights[name] for name in names])
    beta = fit.fe_params[names].to_numpy()
    cov = fit.cov_params().loc[names, names].to_numpy()
    return float(vector @ beta), float(np.sqrt(vector @ cov @ vector))


def _interval(estimate: float, se: float) -> tuple[float, float, float]:
    z = norm.ppf(0.975)
    return estimate - z * se, estimate + z * se, float(2 * norm.sf(abs(estimate / se)))


def repeated_measures(
    frame: pd.DataFrame,
    *,
    outcome: str,
    arm: str,
    visit: str,
    subject: str,
    covariates: Sequence[str] = (),
    reference: str | None = None,
    by_visit: bool = False,
) -> RepeatedResult:
    """Fit the random-intercept model; the difference averages over visits (no interaction)."""
    require_columns(frame, [outcome, arm, visit, subject, *covariates])
    y = numbers(frame, outcome, allow_missing=True)
    arms = labels(frame, arm)
    reference_arm, other_arm = two_arms(arms, arm, reference)
    visits = labels(frame, visit)
    subjects = labels(frame, subject)
    order = _visit_order(visits)
    is_other = arms == other_arm
    fit, data = _fit(y, subjects, _design(frame, is_other, visits, order, covariates, False))
    estimate, se = _contrast(fit, {"other": 1.0})
    low, high, p = _interval(estimate, se)
    per_visit: list[dict[str, float | str]] = []
    if by_visit:
        interaction, _ = _fit(
            y, subjects, _design(frame, is_other, visits, order, covariates, True)
        )
        estimated = set(interaction.fe_params.index)
        for position, name in enumerate(order):
            weights = {"other": 1.0}
            if position:
                weights[f"other:visit_{name}"] = 1.0
            if not set(weights) <= estimated:
                continue  # one arm has no value at this visit: no difference to estimate
            est, err = _contrast(interaction, weights)
            v_low, v_high, v_p = _interval(est, err)
            per_visit.append(
                {
                    "visit": name,
                    "difference": est,
                    "se": err,
                    "ci_low": v_low,
                    "ci_high": v_high,
                    "p_value": v_p,
                }
            )
    return RepeatedResult(
        n_observations=len(data),
        n_subjects=int(data["subject"].nunique()),
        difference=estimate,
        se=se,
        ci_low=low,
        ci_high=high,
        p_value=p,
        reference=reference_arm,
        other=other_arm,
        subject_variance=float(fit.cov_re.iloc[0, 0]),
        residual_variance=float(fit.scale),
        by_visit=per_visit,
    )
