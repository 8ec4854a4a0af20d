"""Repeated measures over visits: the mixed model for repeated measures (MMRM).

The outcome at each visit on the arm, the visit (a factor), optionally their interaction, and
the covariates (baseline, strata), with a residual covariance over visits that is unstructured
by default (or AR(1), heterogeneous AR(1), compound symmetry), fitted by REML; fixed effects by
GLS with model-based standard errors; t-tests and 95% CIs on Satterthwaite degrees of freedom.
This is the model of SAS PROC MIXED with a ``REPEATED visit / type=UN`` statement and of R's
``mmrm``, and it reproduces their numbers on mmrm's ``fev_data`` (see
tests/analysis/test_mmrm_reference.py). Rows with an empty outcome are left out (every other
visit of the subject still counts), the likelihood-based analysis under missing at random.

Without ``by_visit`` the arm effect is that of the model without the arm × visit interaction
(an average over visits); with it, the model has the interaction, ``by_visit`` lists each
visit's least-squares-mean difference (the last visit's is the usual primary estimand, the one
a DSMB reads) and the headline difference is their average over visits.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from msctrial.analysis.mmrm import MmrmFit, contrast, fit_mmrm
from msctrial.analysis.mmrm.covariance import LABELS, STRUCTURES
from msctrial.analysis.repeated_design import Design, build_design, covariance_for
from msctrial.analysis.result import Result
from msctrial.core.errors import InvalidInput


@dataclass(frozen=True)
class RepeatedResult(Result):
    """The arm difference (``other`` minus ``reference``) over visits, and per visit if asked."""

    n_observations: int
    n_subjects: int
    n_visits: int
    covariance: str
    difference: float
    se: float
    df: float
    ci_low: float
    ci_high: float
    p_value: float
    reference: str
    other: str
    minus2_reml_loglik: float
    aic: float
    bic: float
    converged: bool
    model: str
    by_visit: list[dict[str, Any]] = field(default_factory=list)
    lsmeans: list[dict[str, Any]] = field(default_factory=list)
    coefficients: list[dict[str, Any]] = field(default_factory=list)

    @property
    def last_visit(self) -> dict[str, Any] | None:
        """The difference at the last visit with one (the DSMB's usual primary estimand)."""
        return self.by_visit[-1] if self.by_visit else None

    def to_html(self) -> str:
        """The figures, then each visit's difference and the LS means when fitted by visit."""
        parts = [super().to_html()]
        last = self.last_visit
        if last is not None:
            parts.append(
                f"<p>At the last visit ({html.escape(str(last['visit']))}): "
                f"{html.escape(self.other)} − {html.escape(self.reference)} "
                f"{last['difference']:.4g} (95% CI {last['ci_low']:.4g} to {last['ci_high']:.4g}, "
                f"df {last['df']:.1f}, p {last['p_value']:.3g}).</p>"
            )
            for rows in (self.by_visit, self.lsmeans):
                table = pd.DataFrame(rows)
                parts.append(table.to_html(index=False, float_format=lambda x: f"{x:.4g}"))
        return "\n".join(parts)

    @property
    def method(self) -> str:  # type: ignore[override]
        return (
            f"MMRM with {self.covariance} covariance over visits, REML (own GLS/REML fit, "
            "checked against SAS PROC MIXED and R mmrm); model-based SEs, Satterthwaite degrees "
            "of freedom, 95% t intervals."
        )


def _row(values: Any, **labels: Any) -> dict[str, Any]:
    return {**labels, "estimate": values.estimate, "se": values.se, "df": values.df,
            "ci_low": values.ci_low, "ci_high": values.ci_high, "p_value": values.p_value}  # fmt: skip


def _fit(design: Design, covariance: str) -> MmrmFit:
    """Refuse what cannot be estimated, then fit."""
    structure = covariance_for(covariance, len(design.visits))
    subjects = len(np.unique(design.subject))
    if len(design.y) == 0 or len(np.unique(design.x[:, 1])) < 2:
        raise InvalidInput("arm: too few subjects with a value in both arms", field="arm")
    needed = structure.n_parameters + design.x.shape[1]
    if (
        subjects < 3
        or len(design.y) <= needed
        or (structure.structure == "unstructured" and subjects <= len(design.visits))
    ):
        raise InvalidInput(
            f"covariance: {subjects} subjects and {len(design.y)} values are too few for "
            f"{_article(LABELS[structure.structure])} covariance over {len(design.visits)} visits "
            f"({structure.n_parameters} parameters); try --covariance ar1 or cs",
            field="covariance",
        )
    try:
        return fit_mmrm(design.y, design.x, design.subject, design.visit, structure)
    except (np.linalg.LinAlgError, ValueError) as exc:
        raise InvalidInput(
            f"covariance: the MMRM with a {LABELS[structure.structure]} covariance could not be "
            f"fitted ({exc}); try --covariance ar1 or cs",
            field="covariance",
        ) from exc


def _article(label: str) -> str:
    return f"{'an' if label[0].lower() in 'aeiou' else 'a'} {label}"


def _coefficients(fit: MmrmFit, design: Design) -> list[dict[str, Any]]:
    rows = []
    for j, name in enumerate(design.names):
        weights = np.zeros(len(design.names))
        weights[j] = 1.0
        rows.append(_row(contrast(fit, weights), term=name))
    return rows


def _by_visit(
    fit: MmrmFit, design: Design
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], np.ndarray]:
    """Each arm's LS mean at each visit, the difference at each visit (other − reference), and
    the weights of the differences' average over the visits where both arms have a value."""
    lsmeans: list[dict[str, Any]] = []
    differences: list[dict[str, Any]] = []
    weights: list[np.ndarray] = []
    for visit in design.visits:
        cells = {arm: design.lsmean_row(arm, visit) for arm in (design.reference, design.other)}
        for arm, cell in cells.items():
            if cell is not None:
                lsmeans.append(_row(contrast(fit, cell), visit=visit, arm=arm))
        other, reference = cells[design.other], cells[design.reference]
        if other is None or reference is None:
            continue  # one arm has no value at this visit: no difference to estimate
        weights.append(other - reference)
        row = _row(contrast(fit, other - reference), visit=visit)
        row["difference"] = row.pop("estimate")
        differences.append(row)
    if not weights:
        raise InvalidInput("arm: no visit has a value in both arms", field="arm")
    return lsmeans, differences, np.mean(weights, axis=0)


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
    covariance: str = "unstructured",
    visit_order: Sequence[str] | None = None,
) -> RepeatedResult:
    """Fit the MMRM. Without ``by_visit``: no arm × visit interaction, the difference is the arm
    coefficient. With it: the interaction model, each visit's LS-mean difference, and as the
    headline difference their average over visits (equal weights)."""
    design = build_design(frame, outcome=outcome, arm=arm, visit=visit, subject=subject,
                          covariates=covariates, reference=reference, interaction=by_visit,
                          order=visit_order)  # fmt: skip
    fit = _fit(design, covariance)
    lsmeans: list[dict[str, Any]] = []
    per_visit: list[dict[str, Any]] = []
    if by_visit:
        lsmeans, per_visit, weights = _by_visit(fit, design)
    else:
        weights = np.eye(len(design.names))[design.names.index("arm")]
    effect = contrast(fit, weights)
    label = LABELS[fit.covariance.structure]
    return RepeatedResult(
        n_observations=fit.n_observations,
        n_subjects=fit.n_subjects,
        n_visits=len(design.visits),
        covariance=label,
        difference=effect.estimate,
        se=effect.se,
        df=effect.df,
        ci_low=effect.ci_low,
        ci_high=effect.ci_high,
        p_value=effect.p_value,
        reference=design.reference,
        other=design.other,
        minus2_reml_loglik=fit.minus2_loglik,
        aic=fit.aic,
        bic=fit.bic(design.subjects_in_data),
        converged=fit.converged,
        model=f"MMRM, {label} covariance, REML, Satterthwaite df",
        by_visit=per_visit,
        lsmeans=lsmeans,
        coefficients=_coefficients(fit, design),
    )


@dataclass(frozen=True)
class CovarianceComparison(Result):
    """The same MMRM under each covariance structure: −2 REML log-likelihood, AIC and BIC
    (smaller is better; the fixed effects are the same, so REML criteria compare)."""

    rows: list[dict[str, Any]]

    method = (
        "The MMRM refitted under each residual covariance structure by REML; AIC = −2ℓ + 2q and "
        "BIC = −2ℓ + q log(subjects), q the covariance parameters, as SAS PROC MIXED prints them."
    )

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows).set_index("covariance")


def compare_covariances(
    frame: pd.DataFrame,
    *,
    structures: Sequence[str] = STRUCTURES,
    **model: Any,
) -> CovarianceComparison:
    """Fit ``repeated_measures(frame, **model)`` under each structure; a structure the data
    cannot support gets its reason instead of figures."""
    rows: list[dict[str, Any]] = []
    for name in structures:
        try:
            fit = repeated_measures(frame, **model, covariance=name)
        except InvalidInput as exc:
            if exc.field != "covariance":
                raise
            rows.append({"covariance": name, "not_estimable": exc.message})
            continue
        rows.append({"covariance": fit.covariance, "parameters": _parameters(name, fit.n_visits),
                     "minus2_reml_loglik": fit.minus2_reml_loglik, "aic": fit.aic,
                     "bic": fit.bic, "converged": fit.converged})  # fmt: skip
    return CovarianceComparison(rows=rows)


def _parameters(name: str, visits: int) -> int:
    return covariance_for(name, visits).n_parameters
