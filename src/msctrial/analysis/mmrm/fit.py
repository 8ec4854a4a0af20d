"""The MMRM fit: generalised least squares with the residual covariance estimated by REML.

For subject i with observed visits oᵢ, yᵢ = Xᵢβ + εᵢ with εᵢ ~ N(0, Σ[oᵢ, oᵢ]): a subject with
missing visits contributes the sub-matrix of its observed visits (ignorable under missing at
random). For a given Σ the GLS estimate is β̂ = (Σᵢ XᵢᵀΣᵢ⁻¹Xᵢ)⁻¹ Σᵢ XᵢᵀΣᵢ⁻¹yᵢ and the restricted
(REML) log-likelihood (Patterson & Thompson 1971; Harville 1977, JASA 72:320) is

    −2 ℓ_R(θ) = Σᵢ log|Σᵢ| + log|Σᵢ XᵢᵀΣᵢ⁻¹Xᵢ| + Σᵢ rᵢᵀΣᵢ⁻¹rᵢ + (n − p) log 2π,   rᵢ = yᵢ − Xᵢβ̂,

the "-2 Res Log Likelihood" that SAS PROC MIXED prints and R mmrm's ``deviance`` gives. It is
minimised over the covariance parameters θ by BFGS on its analytic gradient (matrix calculus
in Σ, chained to θ through the covariance map), then polished by Newton steps on a Hessian
taken by central differences of that gradient; that Hessian, halved, is the observed
information of θ whose inverse the Satterthwaite degrees of freedom need. Subjects are grouped
by their pattern of observed visits so that each pattern's sub-matrix is factorised once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy import linalg, optimize

from msctrial.analysis.mmrm.covariance import Covariance, Matrix


@dataclass(frozen=True)
class _Pattern:
    """The subjects observed at one set of visits, reduced to their cross-products: for
    visits a, b of the pattern, xx[a, b] = Σᵢ xᵢₐxᵢᵦᵀ, xy[a, b] = Σᵢ xᵢₐyᵢᵦ, yy[a, b] = Σᵢ yᵢₐyᵢᵦ,
    so that XᵀΣ⁻¹X = Σₐᵦ (Σ⁻¹)ₐᵦ xx[a, b] costs nothing per subject at each evaluation."""

    visits: Matrix  # the observed visit positions (ints)
    subjects: int
    xx: Matrix  # k × k × p × p
    xy: Matrix  # k × k × p
    yy: Matrix  # k × k


@dataclass(frozen=True)
class _Pieces:
    logdet: float
    xtx: Matrix
    xty: Matrix
    yty: float
    inverses: tuple[Matrix, ...]  # Σ⁻¹ of each pattern's sub-matrix


@dataclass(frozen=True)
class MmrmFit:
    """A fitted MMRM: fixed effects, their model-based covariance, θ and its covariance."""

    covariance: Covariance
    beta: Matrix
    beta_cov: Matrix
    theta: Matrix
    theta_cov: Matrix
    sigma: Matrix
    minus2_loglik: float
    reml: bool
    n_observations: int
    n_subjects: int
    converged: bool
    iterations: int
    message: str
    gradient_norm: float
    _patterns: tuple[_Pattern, ...] = field(repr=False)

    @property
    def aic(self) -> float:
        """−2ℓ + 2q, q the covariance parameters (SAS PROC MIXED's REML AIC)."""
        return self.minus2_loglik + 2 * self.covariance.n_parameters

    def bic(self, subjects: int) -> float:
        """−2ℓ + q log(subjects): SAS PROC MIXED counts every subject of the data set, even
        one without a value, so the caller says how many there are."""
        return self.minus2_loglik + self.covariance.n_parameters * math.log(subjects)

    @cached_property
    def beta_cov_slopes(self) -> tuple[Matrix, ...]:
        """∂(XᵀV⁻¹X)⁻¹/∂θₖ for each covariance parameter, by central differences."""
        slopes = []
        for j in range(len(self.theta)):
            h = 1e-4 * max(1.0, abs(self.theta[j]))
            up, down = self.theta.copy(), self.theta.copy()
            up[j] += h
            down[j] -= h
            slopes.append((self.beta_cov_at(up) - self.beta_cov_at(down)) / (2 * h))
        return tuple(slopes)

    def beta_cov_at(self, theta: Matrix) -> Matrix:
        """(XᵀV⁻¹X)⁻¹ at other covariance parameters (for the Satterthwaite derivative)."""
        pieces = _accumulate(self._patterns, self.covariance.matrix(theta))
        if pieces is None:
            raise ValueError("covariance parameters outside the positive-definite region")
        return np.asarray(np.linalg.inv(pieces.xtx), dtype=np.float64)


def _patterns(y: Matrix, x: Matrix, subject: Matrix, visit: Matrix) -> tuple[_Pattern, ...]:
    """Rows grouped by subject (visits in order), subjects grouped by observed visits."""
    order = np.lexsort((visit, subject))
    y, x, subject, visit = y[order], x[order], subject[order], visit[order]
    starts = np.flatnonzero(np.r_[True, subject[1:] != subject[:-1]])
    ends = np.r_[starts[1:], len(subject)]
    groups: dict[tuple[int, ...], list[tuple[int, int]]] = {}
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        key = tuple(int(v) for v in visit[start:end])
        groups.setdefault(key, []).append((start, end))
    patterns = []
    for key, spans in groups.items():
        rows = np.concatenate([np.arange(s, e) for s, e in spans])
        m, k = len(spans), len(key)
        xs, ys = x[rows].reshape(m, k, -1), y[rows].reshape(m, k)
        patterns.append(
            _Pattern(
                visits=np.array(key),
                subjects=m,
                xx=np.einsum("mai,mbj->abij", xs, xs),
                xy=np.einsum("mai,mb->abi", xs, ys),
                yy=ys.T @ ys,
            )
        )
    return tuple(patterns)


def _accumulate(patterns: tuple[_Pattern, ...], sigma: Matrix) -> _Pieces | None:
    """XᵀV⁻¹X, XᵀV⁻¹y, yᵀV⁻¹y and log|V|; None if a sub-matrix is not positive definite."""
    p = patterns[0].xx.shape[2]
    xtx, xty, yty, logdet = np.zeros((p, p)), np.zeros(p), 0.0, 0.0
    inverses = []
    for pattern in patterns:
        try:
            chol = linalg.cho_factor(sigma[np.ix_(pattern.visits, pattern.visits)], lower=True)
        except linalg.LinAlgError:
            return None
        inverse = linalg.cho_solve(chol, np.eye(len(pattern.visits)))
        inverses.append(inverse)
        xtx += np.einsum("ab,abij->ij", inverse, pattern.xx)
        xty += np.einsum("ab,abi->i", inverse, pattern.xy)
        yty += float(np.sum(inverse * pattern.yy))
        logdet += 2 * pattern.subjects * float(np.log(np.diag(chol[0])).sum())
    return _Pieces(logdet, xtx, xty, yty, tuple(inverses))


def _sigma_gradient(
    patterns: tuple[_Pattern, ...], pieces: _Pieces, sigma: Matrix, reml: bool
) -> Matrix:
    """∂(−2ℓ)/∂Σ, each element of Σ taken as free (matrix calculus on the expression above:
    with Q = Σₚ⁻¹, ∂/∂Q = −mΣₚ + ⟨(XᵀV⁻¹X)⁻¹ + β̂β̂ᵀ, xx⟩ + yy − 2β̂·xy, and ∂/∂Σₚ = −Q(∂/∂Q)Q)."""
    inverse_a = np.linalg.inv(pieces.xtx)
    beta = inverse_a @ pieces.xty
    weight = (inverse_a if reml else 0.0) + np.outer(beta, beta)
    out = np.zeros_like(sigma)
    for pattern, q in zip(patterns, pieces.inverses, strict=True):
        idx = np.ix_(pattern.visits, pattern.visits)
        by_q = (
            -pattern.subjects * sigma[idx]
            + np.einsum("ij,abij->ab", weight, pattern.xx)
            + pattern.yy
            - 2 * np.einsum("i,abi->ab", beta, pattern.xy)
        )
        out[idx] -= q @ by_q @ q
    return out


def _minus2(pieces: _Pieces | None, n: int, reml: bool) -> float:
    if pieces is None:
        return math.inf
    p = pieces.xtx.shape[0]
    try:
        chol = linalg.cho_factor(pieces.xtx)
    except linalg.LinAlgError:
        return math.inf
    beta = linalg.cho_solve(chol, pieces.xty)
    quadratic = pieces.yty - float(pieces.xty @ beta)
    value = pieces.logdet + quadratic
    if reml:
        return value + 2 * float(np.log(np.diag(chol[0])).sum()) + (n - p) * math.log(2 * math.pi)
    return value + n * math.log(2 * math.pi)


class _Objective:
    """−2ℓ(θ) and its gradient: analytic in Σ, chained to θ through Σ(θ) by central
    differences of the (cheap) covariance map."""

    def __init__(self, patterns: tuple[_Pattern, ...], covariance: Covariance, n: int,
                 reml: bool) -> None:  # fmt: skip
        self.patterns, self.covariance, self.n, self.reml = patterns, covariance, n, reml

    def __call__(self, theta: Matrix) -> float:
        return _minus2(_accumulate(self.patterns, self.covariance.matrix(theta)), self.n,
                       self.reml)  # fmt: skip

    def gradient(self, theta: Matrix) -> Matrix:
        sigma = self.covariance.matrix(theta)
        pieces = _accumulate(self.patterns, sigma)
        if pieces is None:
            return np.zeros_like(theta)
        by_sigma = _sigma_gradient(self.patterns, pieces, sigma, self.reml)
        grad = np.empty_like(theta)
        for j in range(len(theta)):
            h = 1e-6 * max(1.0, abs(theta[j]))
            up, down = theta.copy(), theta.copy()
            up[j] += h
            down[j] -= h
            slope = (self.covariance.matrix(up) - self.covariance.matrix(down)) / (2 * h)
            grad[j] = float(np.sum(by_sigma * slope))
        return grad

    def hessian(self, theta: Matrix) -> Matrix:
        """Central differences of the gradient, symmetrised."""
        q = len(theta)
        out = np.empty((q, q))
        for j in range(q):
            h = 1e-5 * max(1.0, abs(theta[j]))
            up, down = theta.copy(), theta.copy()
            up[j] += h
            down[j] -= h
            out[:, j] = (self.gradient(up) - self.gradient(down)) / (2 * h)
        return (out + out.T) / 2


def _polish(objective: _Objective, theta: Matrix, steps: int = 5) -> tuple[Matrix, Matrix]:
    """Newton steps from the quasi-Newton optimum (the Hessian taken once, at the start: near
    the optimum it hardly moves); returns θ and the Hessian at the final θ."""
    hess = objective.hessian(theta)
    moved = False
    for _ in range(steps):
        grad = objective.gradient(theta)
        if np.max(np.abs(grad)) < 1e-8:
            break
        try:
            move = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(move)) or objective(theta - move) > objective(theta):
            break
        theta, moved = theta - move, True
    return theta, (objective.hessian(theta) if moved else hess)


def _residual_covariance(
    y: Matrix, x: Matrix, subject: Matrix, visit: Matrix, visits: int
) -> Matrix:
    """Pairwise covariance of the OLS residuals over visits (a starting point only)."""
    residual = y - x @ np.linalg.lstsq(x, y, rcond=None)[0]
    codes = np.unique(subject, return_inverse=True)[1]
    wide = np.full((codes.max() + 1, visits), np.nan)
    wide[codes, visit.astype(int)] = residual
    frame = np.ma.masked_invalid(wide)
    out = np.ma.cov(frame, rowvar=False, allow_masked=True).filled(0.0)
    variances = np.nanmean(wide**2, axis=0)
    out[np.diag_indices(visits)] = np.where(np.isfinite(variances), variances, 1.0)
    return np.asarray(out, dtype=float)


def fit_mmrm(
    y: Matrix,
    x: Matrix,
    subject: Matrix,
    visit: Matrix,
    covariance: Covariance,
    *,
    reml: bool = True,
) -> MmrmFit:
    """Fit by (RE)ML: ``y`` outcomes, ``x`` the full-rank design, ``subject`` codes (ints),
    ``visit`` positions 0..T−1 (ints), one row per observed outcome."""
    patterns = _patterns(y, x, subject, visit)
    objective = _Objective(patterns, covariance, len(y), reml)
    start = covariance.start(_residual_covariance(y, x, subject, visit, covariance.visits))
    found = optimize.minimize(
        objective, start, jac=objective.gradient, method="BFGS",
        options={"maxiter": 1000, "gtol": 1e-5},
    )  # fmt: skip
    theta, hess = _polish(objective, np.asarray(found.x, dtype=float))
    gradient = objective.gradient(theta)
    sigma = covariance.matrix(theta)
    pieces = _accumulate(patterns, sigma)
    if pieces is None or not math.isfinite(objective(theta)):
        raise ValueError("the REML optimum left the positive-definite region")
    beta_cov = np.asarray(np.linalg.inv(pieces.xtx), dtype=np.float64)
    # Cov(θ̂) is the inverse of the observed information, the Hessian of −ℓ = half that of −2ℓ.
    theta_cov = np.asarray(2 * np.linalg.pinv(hess), dtype=np.float64)
    # Converged: a stationary point (|∂(−2ℓ)/∂θ| < 1e-4) where the Hessian is positive definite,
    # so that its inverse is a covariance for the Satterthwaite df.
    stationary = float(np.max(np.abs(gradient))) < 1e-4
    converged = stationary and bool(np.all(np.linalg.eigvalsh(hess) > 0))
    return MmrmFit(
        covariance=covariance,
        beta=beta_cov @ pieces.xty,
        beta_cov=beta_cov,
        theta=theta,
        theta_cov=theta_cov,
        sigma=sigma,
        minus2_loglik=objective(theta),
        reml=reml,
        n_observations=len(y),
        n_subjects=len(np.unique(subject)),
        converged=converged,
        iterations=int(found.nit),
        message=str(found.message),
        gradient_norm=float(np.max(np.abs(gradient))),
        _patterns=patterns,
    )
