"""gsm's four ways to score each group against all groups, and ``analyze`` that flags them.

Facts from gsm.core (``R/Analyze_NormalApprox.R``, ``R/Analyze_Poisson.R``,
``R/Analyze_Fisher.R``, ``R/Analyze_Identity.R``, ``R/Transform_Rate.R`` and the KRIMethod
vignette); the code is ours:

- **normal** (binary and rate): p̂ = Σx/Σn. Binary z₀ᵢ = (pᵢ − p̂)/√(p̂(1−p̂)/nᵢ), rate
  z₀ᵢ = (λᵢ − λ̂)/√(λ̂/Tᵢ); φ = mean(z₀²) over every group; zᵢ = z₀ᵢ/√φ; z = 0 when p̂ is 0
  (or 1 for binary) or φ = 0. Because Σz² = k after the adjustment, no |z| can exceed √k with
  k groups: a trial with few sites cannot reach a flag, and ``analyze`` says so.
- **poisson** (rate): a Poisson GLM of the numerator with log(denominator) as offset and only
  an intercept; the score is each group's deviance residual.
- **fisher** (binary): the group against all the others in a 2×2 table, two-sided exact p.
  The p-value has no direction; we sign the flag by whether the group's proportion is above
  or below the rest's, so under-reporting reads as a negative flag like the other methods.
- **identity**: the metric itself (or, for a count KRI, the numerator).

Groups with a zero denominator are left out of every fit (gsm's ``Transform_Rate`` drops them)
and reported with no metric, score or flag. The accrual minimum is applied after the fit, as
gsm does: a small site still counts in p̂ and φ, but gets no score.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import statsmodels.api as sm
from scipy.stats import fisher_exact

from msctrial.core.errors import InvalidInput
from msctrial.monitoring.model import (
    Accrual,
    GroupCount,
    GroupResult,
    KriType,
    Method,
    Thresholds,
    check_counts,
)


@dataclass(frozen=True)
class Scores:
    """Raw scores of the groups a method could score, with the fit's overall figures."""

    scores: dict[str, float]
    overall: float | None = None  # p̂ or λ̂ (normal), fitted rate (poisson)
    dispersion: float | None = None  # φ (normal)


def normal_scores(counts: Sequence[GroupCount], kri_type: KriType) -> Scores:
    """Over-dispersion-adjusted z-scores (gsm ``Analyze_NormalApprox``)."""
    used = [c for c in counts if c.denominator > 0]
    if not used:
        return Scores({})
    x = np.array([c.numerator for c in used], dtype=float)
    n = np.array([c.denominator for c in used], dtype=float)
    mu = float(x.sum() / n.sum())
    degenerate = mu == 0 or (kri_type is KriType.binary and mu == 1)
    if degenerate:
        return Scores({c.group: 0.0 for c in used}, overall=mu, dispersion=0.0)
    variance = mu * (1 - mu) / n if kri_type is KriType.binary else mu / n
    z0 = (x / n - mu) / np.sqrt(variance)
    phi = float(np.mean(z0**2))
    z = np.zeros_like(z0) if phi == 0 else z0 / math.sqrt(phi)
    return Scores(
        {c.group: float(s) for c, s in zip(used, z, strict=True)}, overall=mu, dispersion=phi
    )


def poisson_scores(counts: Sequence[GroupCount]) -> Scores:
    """Deviance residuals of an intercept-only Poisson GLM with log-exposure offset."""
    used = [c for c in counts if c.denominator > 0]
    if not used:
        return Scores({})
    x = np.array([c.numerator for c in used], dtype=float)
    n = np.array([c.denominator for c in used], dtype=float)
    if x.sum() == 0:
        # The fitted rate is 0 and every residual 0; the GLM would not converge to it.
        return Scores({c.group: 0.0 for c in used}, overall=0.0)
    model = sm.GLM(x, np.ones((len(used), 1)), family=sm.families.Poisson(), offset=np.log(n))
    fit = model.fit()
    residuals = np.asarray(fit.resid_deviance, dtype=float)
    return Scores(
        {c.group: float(r) for c, r in zip(used, residuals, strict=True)},
        overall=float(math.exp(float(fit.params[0]))),
    )


def fisher_scores(counts: Sequence[GroupCount]) -> tuple[Scores, dict[str, int]]:
    """Two-sided Fisher p of each group against the rest, and the direction (+1, −1, 0)."""
    used = [c for c in counts if c.denominator > 0]
    total_x = sum(c.numerator for c in used)
    total_n = sum(c.denominator for c in used)
    scores: dict[str, float] = {}
    direction: dict[str, int] = {}
    for c in used:
        rest_x, rest_n = total_x - c.numerator, total_n - c.denominator
        table = [
            [round(c.numerator), round(c.denominator - c.numerator)],
            [round(rest_x), round(rest_n - rest_x)],
        ]
        _, p = fisher_exact(table, alternative="two-sided")
        scores[c.group] = float(p)
        rest = rest_x / rest_n if rest_n > 0 else c.numerator / c.denominator
        diff = c.numerator / c.denominator - rest
        direction[c.group] = 0 if diff == 0 else (1 if diff > 0 else -1)
    return Scores(scores, overall=total_x / total_n if total_n else None), direction


def identity_scores(
    counts: Sequence[GroupCount], of: Literal["metric", "numerator"] = "metric"
) -> Scores:
    """The metric itself, or the numerator for count KRIs (gsm's IE and DTH90)."""
    scores: dict[str, float] = {}
    for c in counts:
        if of == "numerator":
            scores[c.group] = c.numerator
        elif c.metric is not None:
            scores[c.group] = c.metric
    return Scores(scores)


@dataclass(frozen=True)
class Analysis:
    """Every group's result, the fit's overall figures, and what a reader must be told."""

    method: Method
    kri_type: KriType
    thresholds: Thresholds
    results: list[GroupResult]
    overall: float | None = None
    dispersion: float | None = None
    notes: list[str] = field(default_factory=list)

    def to_list(self) -> list[dict[str, object]]:
        return [r.to_dict() for r in self.results]


def check_method(method: Method, kri_type: KriType) -> None:
    """Poisson models a rate, Fisher a proportion; refuse the other pairing by name."""
    if method is Method.poisson and kri_type is not KriType.rate:
        raise InvalidInput(
            "method: poisson models events per exposure; use --type rate (or --method normal "
            "or fisher for a binary KRI)",
            field="method",
        )
    if method is Method.fisher and kri_type is not KriType.binary:
        raise InvalidInput(
            "method: fisher compares proportions; use --type binary (or --method normal or "
            "poisson for a rate KRI)",
            field="method",
        )


def whole_counts(counts: Sequence[GroupCount]) -> None:
    """Fisher's exact test counts subjects: refuse a fractional numerator or denominator."""
    for c in counts:
        for name, value in (("numerator", c.numerator), ("denominator", c.denominator)):
            if not float(value).is_integer():
                raise InvalidInput(
                    f"{name}: group {c.group!r} has {value}; fisher needs whole counts",
                    field=name,
                )


def few_groups_note(k: int, thresholds: Thresholds) -> str | None:
    """Why a green flag means nothing when √k is below the smallest flagging cut-point."""
    reach = thresholds.smallest_flagging_magnitude
    if reach is None or k == 0 or math.sqrt(k) > reach:
        return None
    return (
        f"with {k} group(s) no over-dispersion-adjusted |score| can exceed √{k} = "
        f"{math.sqrt(k):.2f}, below the cut-point {reach:g}: no group can be flagged, so a "
        "flag of 0 here is not reassurance"
    )


def analyze(
    counts: Sequence[GroupCount],
    kri_type: KriType,
    method: Method,
    thresholds: Thresholds,
    accrual: Accrual | None = None,
    identity_of: Literal["metric", "numerator"] = "metric",
) -> Analysis:
    """Score and flag every group; below the accrual minimum, no score and no flag."""
    check_counts(counts, kri_type)
    check_method(method, kri_type)
    accrual = accrual or Accrual()
    direction: dict[str, int] = {}
    if method is Method.normal:
        raw = normal_scores(counts, kri_type)
    elif method is Method.poisson:
        raw = poisson_scores(counts)
    elif method is Method.fisher:
        whole_counts(counts)
        raw, direction = fisher_scores(counts)
    else:
        raw = identity_scores(counts, identity_of)
    notes: list[str] = []
    note = None
    if method is Method.normal:
        note = few_groups_note(len(raw.scores), thresholds)
        if note:
            notes.append(note)
    results = []
    for c in counts:
        score = raw.scores.get(c.group)
        flag = None
        if score is not None and accrual.reached(c):
            flag = thresholds.flag(score)
            if method is Method.fisher:
                flag = abs(flag) * direction.get(c.group, 0)
        else:
            score = None
        results.append(
            GroupResult(c.group, c.numerator, c.denominator, c.metric, score, flag, note)
        )
    return Analysis(method, kri_type, thresholds, results, raw.overall, raw.dispersion, notes=notes)


@dataclass(frozen=True)
class ToleranceResult:
    """A study-level proportion against its quality tolerance limit (gsm.qtl)."""

    numerator: float
    denominator: float
    metric: float | None
    limit: float
    upper: float | None
    score: float | None
    flag: int | None


def one_sided_proportion(
    numerator: float, denominator: float, limit: float, deviations: float = 3.0
) -> ToleranceResult:
    """gsm.qtl ``Analyze_OneSideProp``: the study's proportion against the expected ``limit``.

    z = (p − p₀)/√(p₀(1−p₀)/n); the upper funnel is p₀ + k·√(p₀(1−p₀)/n). Flag 2 at or above
    the funnel, 1 at or above p₀ but below it, 0 below p₀. No flag without a denominator.
    """
    if not 0 < limit < 1:
        raise InvalidInput(
            "limit: the expected proportion lies strictly between 0 and 1", field="limit"
        )
    if denominator <= 0:
        return ToleranceResult(numerator, denominator, None, limit, None, None, None)
    p = numerator / denominator
    se = math.sqrt(limit * (1 - limit) / denominator)
    upper = limit + deviations * se
    flag = 2 if p >= upper else 1 if p >= limit else 0
    return ToleranceResult(numerator, denominator, p, limit, upper, (p - limit) / se, flag)


def bound_at(mu: float, phi: float, n: float, threshold: float, kri_type: KriType) -> float:
    """The funnel's metric at denominator ``n`` for a score of ``threshold`` (gsm's
    ``Analyze_NormalApprox_PredictBounds``): μ + t·√(φ·μ(1−μ)/n), or μ + t·√(φ·μ/n)."""
    variance = mu * (1 - mu) / n if kri_type is KriType.binary else mu / n
    return mu + threshold * math.sqrt(phi * variance)


def normal_bounds(
    counts: Sequence[GroupCount], kri_type: KriType, thresholds: Thresholds, steps: int = 250
) -> dict[float, list[tuple[float, float]]]:
    """Each cut-point's (and the mean's, t = 0) funnel line as (denominator, metric) points
    from the smallest to the largest denominator, where the metric is not negative.

    φ is the unadjusted mean z₀², as gsm computes it for the bounds.
    """
    raw = normal_scores(counts, kri_type)
    used = [c.denominator for c in counts if c.denominator > 0]
    if not used or raw.overall is None:
        return {}
    mu, phi = raw.overall, raw.dispersion or 0.0
    low, high = min(used), max(used)
    step = (high - low) / steps if high > low else 1.0
    grid = [low - step + i * step for i in range(steps + 3)]
    lines: dict[float, list[tuple[float, float]]] = {}
    for t in sorted({*thresholds.cuts, 0.0}):
        points = [(n, bound_at(mu, phi, n, t, kri_type)) for n in grid if n > 0]
        lines[t] = [(n, m) for n, m in points if m >= 0]
    return lines
