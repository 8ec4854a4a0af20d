"""Contrasts of the fixed effects with Satterthwaite degrees of freedom.

For a contrast c, v(θ) = cᵀ(XᵀV(θ)⁻¹X)⁻¹c is its model-based variance and

    ν = 2 v(θ̂)² / (∇v(θ̂)ᵀ W ∇v(θ̂)),

W the inverse of the observed information of the REML likelihood at θ̂ (Satterthwaite 1946,
Biometrics Bulletin 2:110; Giesbrecht & Burns 1985, Biometrics 41:477 for the mixed-model
form; it is what SAS PROC MIXED's ``ddfm=satterthwaite`` and R mmrm's ``method =
"Satterthwaite"`` compute, see mmrm's "Details of the Satterthwaite method" vignette). The
gradient ∇v is taken by central differences over θ. Kenward & Roger (1997, Biometrics 53:983)
would also inflate the variance for the estimation of θ; that adjustment is not made here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from msctrial.analysis.mmrm.covariance import Matrix
from msctrial.analysis.mmrm.fit import MmrmFit


@dataclass(frozen=True)
class Contrast:
    """One linear combination of the fixed effects, with its t-test and confidence interval."""

    estimate: float
    se: float
    df: float
    t: float
    p_value: float
    ci_low: float
    ci_high: float


def satterthwaite_df(fit: MmrmFit, contrast: Matrix) -> float:
    """Satterthwaite's degrees of freedom of ``contrast``·β̂."""
    variance = float(contrast @ fit.beta_cov @ contrast)
    grad = np.array([float(contrast @ slope @ contrast) for slope in fit.beta_cov_slopes])
    spread = float(grad @ fit.theta_cov @ grad)
    if spread <= 0:
        return math.inf
    return 2 * variance**2 / spread


def contrast(fit: MmrmFit, weights: Matrix, level: float = 0.95) -> Contrast:
    """Estimate, model-based SE, Satterthwaite df, two-sided t-test and CI of weights·β."""
    weights = np.asarray(weights, dtype=float)
    estimate = float(weights @ fit.beta)
    se = math.sqrt(float(weights @ fit.beta_cov @ weights))
    df = satterthwaite_df(fit, weights)
    t = estimate / se if se > 0 else math.nan
    quantile = float(stats.t.ppf(0.5 + level / 2, df))
    return Contrast(
        estimate=estimate,
        se=se,
        df=df,
        t=t,
        p_value=float(2 * stats.t.sf(abs(t), df)),
        ci_low=estimate - quantile * se,
        ci_high=estimate + quantile * se,
    )
