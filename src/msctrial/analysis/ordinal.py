"""An ordinal outcome (the WHO clinical progression scale at day 14 or 28) in two arms.

A proportional-odds (cumulative logit) model by statsmodels' ``OrderedModel``: the outcome on
the other arm and the covariates. The common odds ratio is that of a higher category for the
other arm against the reference arm (on the WHO scale higher is worse, so below 1 favours the
other arm), with its Wald 95% CI. The categories are the outcome's numbers in order, or for a
text outcome the ``levels`` given, lowest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import norm
from statsmodels.miscmodels.ordinal_model import OrderedModel

from msctrial.analysis.dataset import is_numeric, labels, numbers, require_columns, two_arms
from msctrial.analysis.result import Result
from msctrial.core.errors import InvalidInput


@dataclass(frozen=True)
class OrdinalResult(Result):
    """The common odds ratio of a higher category, ``other`` against ``reference``."""

    n: int
    odds_ratio: float
    or_ci_low: float
    or_ci_high: float
    p_value: float
    reference: str
    other: str
    log_odds_ratio: float = float("nan")
    se: float = float("nan")
    levels: list[str] = field(default_factory=list)
    coefficients: dict[str, float] = field(default_factory=dict)

    method = (
        "Proportional-odds (cumulative logit) model by maximum likelihood (statsmodels "
        "OrderedModel); odds ratio of a higher category, Wald 95% CI."
    )


def _ordered(frame: pd.DataFrame, outcome: str, levels: Sequence[str] | None) -> pd.Series:
    if levels is None and is_numeric(frame, outcome):
        values = numbers(frame, outcome, allow_missing=True)
        order = sorted(values.dropna().unique())
        return pd.Series(pd.Categorical(values, categories=order, ordered=True), index=frame.index)
    if levels is None:
        raise InvalidInput(
            f"{outcome}: a text outcome needs its levels in order, lowest first (--levels)",
            field=outcome,
        )
    text = frame[outcome].astype(str).str.strip()
    unknown = text[(text != "") & ~text.isin(levels)]
    if len(unknown):
        raise InvalidInput(
            f"{outcome}: row {unknown.index[0]} holds {unknown.iloc[0]!r}, not one of the levels "
            f"({', '.join(levels)})",
            field=outcome,
        )
    return pd.Series(
        pd.Categorical(text.where(text != ""), categories=list(levels), ordered=True),
        index=frame.index,
    )


def proportional_odds(
    frame: pd.DataFrame,
    *,
    outcome: str,
    arm: str,
    covariates: Sequence[str] = (),
    reference: str | None = None,
    levels: Sequence[str] | None = None,
) -> OrdinalResult:
    """Fit the cumulative logit model and return the arm's common odds ratio."""
    require_columns(frame, [outcome, arm, *covariates])
    y = _ordered(frame, outcome, levels)
    arms = labels(frame, arm)
    reference_arm, other_arm = two_arms(arms, arm, reference)
    parts = [pd.DataFrame({"other": (arms == other_arm).astype(float)}, index=frame.index)]
    for name in covariates:
        if is_numeric(frame, name):
            parts.append(numbers(frame, name, allow_missing=True).rename(name).to_frame())
        else:
            parts.append(pd.get_dummies(labels(frame, name), prefix=name, dtype=float).iloc[:, 1:])
    exog = pd.concat(parts, axis=1)
    keep = y.notna() & exog.notna().all(axis=1)
    y, exog = y[keep].cat.remove_unused_categories(), exog[keep]
    if len(y.cat.categories) < 2 or exog["other"].nunique() < 2:
        raise InvalidInput(
            f"{outcome}: needs two or more categories and both arms among the complete rows",
            field=outcome,
        )
    fit = OrderedModel(y, exog, distr="logit").fit(method="bfgs", disp=False, gtol=1e-8)
    beta, se = float(fit.params["other"]), float(fit.bse["other"])
    z = norm.ppf(0.975)
    return OrdinalResult(
        n=int(keep.sum()),
        odds_ratio=float(np.exp(beta)),
        or_ci_low=float(np.exp(beta - z * se)),
        or_ci_high=float(np.exp(beta + z * se)),
        p_value=float(fit.pvalues["other"]),
        reference=reference_arm,
        other=other_arm,
        log_odds_ratio=beta,
        se=se,
        levels=[str(level) for level in y.cat.categories],
        coefficients={str(k): float(v) for k, v in fit.params.items()},
    )
