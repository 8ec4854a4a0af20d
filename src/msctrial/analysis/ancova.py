"""ANCOVA: the arm difference in a continuous outcome adjusted for its baseline and strata.

One ordinary least-squares fit (statsmodels ``OLS``): outcome ~ other arm + baseline +
covariates, a numeric covariate entering linearly and a text one (a stratum, a site) as
indicator columns against its first level. The outcome may be the value at the visit or its
change from baseline: with the baseline in the model the arm difference is the same (EMA
guideline on adjustment for baseline covariates, 2015). Rows with an empty outcome, baseline or
covariate are left out (complete cases, as SAS PROC GLM and R's ``lm`` do); ``n`` says how many
rows were used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd
import statsmodels.api as sm

from msctrial.analysis.dataset import is_numeric, labels, numbers, require_columns, two_arms
from msctrial.analysis.result import Result
from msctrial.core.errors import InvalidInput


@dataclass(frozen=True)
class AncovaResult(Result):
    """The adjusted mean difference, ``other`` minus ``reference``, with its 95% CI."""

    n: int
    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    reference: str
    other: str
    se: float = float("nan")
    df: float = float("nan")
    baseline_slope: float = float("nan")
    covariates: dict[str, str] = field(default_factory=dict)
    n_by_arm: dict[str, int] = field(default_factory=dict)

    method = (
        "ANCOVA by ordinary least squares (statsmodels OLS): the outcome on the arm, its "
        "baseline and the covariates; t-based 95% CI of the adjusted difference."
    )


def _design(
    frame: pd.DataFrame, baseline: str, covariates: Sequence[str]
) -> tuple[pd.DataFrame, dict[str, str]]:
    columns = {"baseline": numbers(frame, baseline, allow_missing=True)}
    kinds: dict[str, str] = {}
    parts = []
    for name in covariates:
        if is_numeric(frame, name):
            columns[f"cov:{name}"] = numbers(frame, name, allow_missing=True)
            kinds[name] = "numeric"
        else:
            levels = frame[name].astype(str).str.strip()
            dummies = pd.get_dummies(levels, prefix=f"cov:{name}", dtype=float)
            # An empty cell is a missing value, so its row is left out, not a level of its own.
            empty = dummies.pop(f"cov:{name}_") if f"cov:{name}_" in dummies else None
            dummies = dummies.iloc[:, 1:]
            if empty is not None:
                dummies[empty == 1] = float("nan")
            parts.append(dummies)
            kinds[name] = "categorical"
    return pd.concat([pd.DataFrame(columns), *parts], axis=1), kinds


def ancova(
    frame: pd.DataFrame,
    *,
    outcome: str,
    baseline: str,
    arm: str,
    covariates: Sequence[str] = (),
    reference: str | None = None,
) -> AncovaResult:
    """Fit outcome ~ arm + baseline + covariates and return the adjusted arm difference."""
    require_columns(frame, [outcome, baseline, arm, *covariates])
    y = numbers(frame, outcome, allow_missing=True)
    arms = labels(frame, arm)
    reference_arm, other_arm = two_arms(arms, arm, reference)
    design, kinds = _design(frame, baseline, covariates)
    design.insert(0, "other", (arms == other_arm).astype(float))
    data = pd.concat([y.rename("outcome"), design], axis=1).dropna()
    if data["other"].nunique() < 2 or len(data) <= data.shape[1] + 1:
        raise InvalidInput(
            f"{outcome}: too few complete rows ({len(data)}) to compare the arms adjusted for "
            f"{baseline}" + (f" and {', '.join(covariates)}" if covariates else ""),
            field=outcome,
        )
    fit = sm.OLS(data["outcome"], sm.add_constant(data.drop(columns="outcome"))).fit()
    low, high = fit.conf_int().loc["other"]
    used = arms.loc[data.index]
    return AncovaResult(
        n=len(data),
        difference=float(fit.params["other"]),
        ci_low=float(low),
        ci_high=float(high),
        p_value=float(fit.pvalues["other"]),
        reference=reference_arm,
        other=other_arm,
        se=float(fit.bse["other"]),
        df=float(fit.df_resid),
        baseline_slope=float(fit.params["baseline"]),
        covariates=kinds,
        n_by_arm={
            reference_arm: int((used == reference_arm).sum()),
            other_arm: int((used == other_arm).sum()),
        },
    )
