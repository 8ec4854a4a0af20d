"""A binary outcome (died by day 28, improved) in two arms, optionally over strata.

statsmodels gives the confidence intervals (Wald for the risk difference, the log method for
the risk ratio, Woolf's logit interval for the odds ratio, as in Agresti, *Categorical Data
Analysis*) and the Cochran-Mantel-Haenszel test (with the continuity correction, as R's
``mantelhaen.test`` by default); scipy gives Fisher's exact test (two-sided) and Pearson's
chi-square (without the continuity correction).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import chi2_contingency, fisher_exact
from statsmodels.stats.contingency_tables import StratifiedTable, Table2x2
from statsmodels.stats.proportion import confint_proportions_2indep

from msctrial.analysis.dataset import indicator, labels, two_arms
from msctrial.analysis.result import Result


@dataclass(frozen=True)
class BinaryComparison(Result):
    """Risk of the outcome in ``other`` against ``reference`` (difference other minus reference)."""

    n: int
    risk_difference: float
    rd_ci_low: float
    rd_ci_high: float
    risk_ratio: float
    rr_ci_low: float
    rr_ci_high: float
    odds_ratio: float
    fisher_p: float
    cmh_p: float | None
    reference: str
    other: str
    or_ci_low: float = float("nan")
    or_ci_high: float = float("nan")
    chi2: float = float("nan")
    chi2_p: float = float("nan")
    events_by_arm: dict[str, int] = field(default_factory=dict)
    n_by_arm: dict[str, int] = field(default_factory=dict)
    strata_used: int | None = None

    method = (
        "Risk difference (Wald 95% CI), risk ratio (log 95% CI), odds ratio (Woolf 95% CI) "
        "by statsmodels; Fisher's exact test (two-sided) and Pearson's chi-square by scipy; "
        "Cochran-Mantel-Haenszel test over the strata with the continuity correction."
    )


def _table(outcome: pd.Series, is_other: pd.Series) -> np.ndarray:
    """[[events, non-events] of the other arm, [events, non-events] of the reference arm]."""
    rows = []
    for in_arm in (is_other, ~is_other):
        events = int(outcome[in_arm].sum())
        rows.append([events, int(in_arm.sum()) - events])
    return np.array(rows)


def _cmh_p(outcome: pd.Series, is_other: pd.Series, strata: pd.Series) -> tuple[float, int]:
    """The CMH p-value over the strata in which both arms have subjects, and their number."""
    tables = [
        _table(outcome[in_stratum], is_other[in_stratum])
        for _, in_stratum in ((s, strata == s) for s in sorted(strata.unique()))
        if is_other[in_stratum].any() and (~is_other[in_stratum]).any()
    ]
    if not tables:
        return float("nan"), 0
    result = StratifiedTable(tables).test_null_odds(correction=True)
    return float(result.pvalue), len(tables)


def compare_binary(
    frame: pd.DataFrame,
    *,
    outcome: str,
    arm: str,
    strata: str | None = None,
    reference: str | None = None,
) -> BinaryComparison:
    """Compare the proportion with ``outcome`` = 1 between the two arms of ``arm``."""
    events = indicator(frame, outcome)
    arms = labels(frame, arm)
    reference_arm, other_arm = two_arms(arms, arm, reference)
    is_other = arms == other_arm
    table = _table(events, is_other)
    (e1, f1), (e0, f0) = table
    n1, n0 = e1 + f1, e0 + f0
    rd_low, rd_high = confint_proportions_2indep(e1, n1, e0, n0, method="wald", compare="diff")
    with np.errstate(divide="ignore", invalid="ignore"):
        rr_low, rr_high = confint_proportions_2indep(e1, n1, e0, n0, method="log", compare="ratio")
        two_by_two = Table2x2(table)
        or_low, or_high = two_by_two.oddsratio_confint()
        risk_ratio = (e1 / n1) / (e0 / n0) if e0 else float("inf")
    degenerate = table.sum(axis=0).min() == 0
    chi2, chi2_p = (
        (float("nan"), float("nan"))
        if degenerate
        else chi2_contingency(table, correction=False)[:2]
    )
    cmh_p, strata_used = (None, None)
    if strata is not None:
        cmh_p, strata_used = _cmh_p(events, is_other, labels(frame, strata))
    return BinaryComparison(
        n=len(frame),
        risk_difference=float(e1 / n1 - e0 / n0),
        rd_ci_low=float(rd_low),
        rd_ci_high=float(rd_high),
        risk_ratio=float(risk_ratio),
        rr_ci_low=float(rr_low),
        rr_ci_high=float(rr_high),
        odds_ratio=float(two_by_two.oddsratio),
        fisher_p=float(fisher_exact(table).pvalue),
        cmh_p=cmh_p,
        reference=reference_arm,
        other=other_arm,
        or_ci_low=float(or_low),
        or_ci_high=float(or_high),
        chi2=float(chi2),
        chi2_p=float(chi2_p),
        events_by_arm={reference_arm: int(e0), other_arm: int(e1)},
        n_by_arm={reference_arm: int(n0), other_arm: int(n1)},
        strata_used=strata_used,
    )
