"""Residual covariance structures over visits, each a map from free parameters to a matrix.

The parameters are unconstrained reals, so the optimiser needs no bounds, and every value gives
a positive-definite matrix:

    unstructured  Σ = L Lᵀ, L lower triangular with log diagonal (T(T+1)/2 parameters)
    ar1           Σᵢⱼ = σ² ρ^|i−j|, log σ and ρ = θ/√(1+θ²) (2 parameters)
    ar1h          Σᵢⱼ = σᵢ σⱼ ρ^|i−j|, the heterogeneous AR(1) (T + 1 parameters)
    cs            Σᵢⱼ = σ² (ρ + (1−ρ)·[i=j]), ρ in (−1/(T−1), 1) by a logistic map (2 parameters)

AR(1) counts lags in visit order (the position of the visit, not the days between), as SAS
PROC MIXED ``type=AR(1)`` and R mmrm's ``ar1`` do. The maps to ρ follow the mmrm package's
documentation (its "covariance structures" vignette); the estimates do not depend on them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Matrix = NDArray[np.float64]

STRUCTURES = ("unstructured", "ar1", "ar1h", "cs")
ALIASES = {"us": "unstructured", "un": "unstructured", "compound-symmetry": "cs"}
LABELS = {
    "unstructured": "unstructured",
    "ar1": "AR(1)",
    "ar1h": "heterogeneous AR(1)",
    "cs": "compound symmetry",
}


def structure_name(name: str) -> str | None:
    """The structure's canonical name, or None when it is not one we fit."""
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    return key if key in STRUCTURES else None


@dataclass(frozen=True)
class Covariance:
    """A structure over ``visits`` time points."""

    structure: str
    visits: int

    @property
    def n_parameters(self) -> int:
        t = self.visits
        return {"unstructured": t * (t + 1) // 2, "ar1": 2, "ar1h": t + 1, "cs": 2}[self.structure]

    def matrix(self, theta: Matrix) -> Matrix:
        """Σ (visits × visits) for the free parameters ``theta``."""
        t = self.visits
        if self.structure == "unstructured":
            lower = np.zeros((t, t))
            lower[np.diag_indices(t)] = np.exp(theta[:t])
            lower[np.tril_indices(t, -1)] = theta[t:]
            return lower @ lower.T
        lags = np.abs(np.subtract.outer(np.arange(t), np.arange(t)))
        if self.structure in ("ar1", "ar1h"):
            rho = theta[-1] / np.sqrt(1.0 + theta[-1] ** 2)
            sd = np.exp(theta[:-1]) if self.structure == "ar1h" else np.full(t, np.exp(theta[0]))
            return np.outer(sd, sd) * rho**lags
        variance = np.exp(2 * theta[0])
        if t == 1:
            return np.array([[variance]])
        low = -1.0 / (t - 1)
        rho = low + (1.0 - low) / (1.0 + np.exp(-theta[1]))
        return variance * np.where(lags == 0, 1.0, rho)

    def start(self, residual: Matrix) -> Matrix:
        """Starting parameters from a visits × visits covariance of OLS residuals (pairwise)."""
        t = self.visits
        variances = np.diag(residual)
        log_sd = 0.5 * np.log(np.maximum(variances, 1e-8))
        if self.structure == "unstructured":
            try:
                lower = np.linalg.cholesky(residual)
            except np.linalg.LinAlgError:
                return np.concatenate([log_sd, np.zeros(t * (t - 1) // 2)])
            return np.concatenate([np.log(np.diag(lower)), lower[np.tril_indices(t, -1)]])
        if self.structure == "ar1h":
            return np.concatenate([log_sd, [0.0]])
        pooled = [float(np.mean(log_sd))]
        if self.structure == "ar1":
            return np.array([*pooled, 0.0])
        # cs: logit of the position of ρ = 0 in (−1/(T−1), 1)
        low = -1.0 / (t - 1) if t > 1 else -1.0
        share = -low / (1.0 - low)
        return np.array([*pooled, float(np.log(share / (1.0 - share)))])
