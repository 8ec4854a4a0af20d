"""The MMRM's design: a statistician's long data set turned into matrices, with its checks.

One row per subject and visit; the outcome may be empty (that visit is left out, every other
visit of the subject still counts, as PROC MIXED does). Factors use treatment coding, the
reference level being the first in sorted order (the reference arm as the caller names it);
a numeric covariate enters linearly. Least-squares means weight each level of a factor
covariate equally and hold a numeric covariate at its mean, as SAS ``LSMEANS`` and R emmeans
do by default.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from msctrial.analysis.dataset import is_numeric, labels, numbers, require_columns, two_arms
from msctrial.analysis.mmrm import Covariance, structure_name
from msctrial.analysis.mmrm.covariance import STRUCTURES, Matrix
from msctrial.core.errors import InvalidInput


def visit_order(visits: pd.Series) -> list[str]:
    """Visits in numeric order when they are numbers (day 7 before day 14), else sorted."""
    levels = list(visits.unique())
    try:
        return sorted(levels, key=float)
    except ValueError:
        return sorted(levels)


def covariance_for(name: str, visits: int) -> Covariance:
    structure = structure_name(name)
    if structure is None:
        raise InvalidInput(
            f"covariance: {name!r} is not a covariance structure we fit (choose one of "
            f"{', '.join(STRUCTURES)})",
            field="covariance",
        )
    return Covariance(structure, visits)


@dataclass(frozen=True)
class Design:
    """The rows used, their design matrix (full rank) and how to build an LS-mean row."""

    y: Matrix
    x: Matrix
    subject: Matrix
    visit: Matrix
    names: list[str]  # the kept columns' names
    visits: list[str]
    reference: str
    other: str
    interaction: bool
    subjects_in_data: int  # every subject named, even one without a value (SAS's BIC count)
    _all_names: list[str]
    _kept: Matrix
    _covariate_means: dict[str, float]
    _covariate_levels: dict[str, list[str]]

    def lsmean_row(self, arm: str, visit: str) -> Matrix | None:
        """Weights on the kept columns for the LS mean of ``arm`` at ``visit``; None when a
        column it needs was not estimable (no subject of that arm has a value there)."""
        full = np.zeros(len(self._all_names))
        position = {name: i for i, name in enumerate(self._all_names)}
        full[0] = 1.0
        is_other = arm == self.other
        if is_other:
            full[position["arm"]] = 1.0
        if visit != self.visits[0]:
            full[position[f"visit[{visit}]"]] = 1.0
            if self.interaction and is_other:
                full[position[f"arm:visit[{visit}]"]] = 1.0
        for name, mean in self._covariate_means.items():
            full[position[name]] = mean
        for name, levels in self._covariate_levels.items():
            for level in levels[1:]:
                full[position[f"{name}[{level}]"]] = 1.0 / len(levels)
        dropped = np.setdiff1d(np.arange(len(full)), self._kept)
        if np.any(full[dropped] != 0):
            return None
        return full[self._kept]


def _full_rank(x: Matrix) -> Matrix:
    """Indices of columns that are not linear combinations of earlier ones."""
    kept: list[int] = []
    for j in range(x.shape[1]):
        trial = x[:, [*kept, j]]
        if np.linalg.matrix_rank(trial) == len(kept) + 1:
            kept.append(j)
    return np.array(kept)


def build_design(
    frame: pd.DataFrame,
    *,
    outcome: str,
    arm: str,
    visit: str,
    subject: str,
    covariates: Sequence[str],
    reference: str | None,
    interaction: bool,
    order: Sequence[str] | None = None,
) -> Design:
    """Check the columns and build the design on the rows with an outcome and covariates;
    ``order`` gives the visits' order when their names do not sort (day_6 before day_14)."""
    require_columns(frame, [outcome, arm, visit, subject, *covariates])
    y = numbers(frame, outcome, allow_missing=True)
    arms = labels(frame, arm)
    reference_arm, other_arm = two_arms(arms, arm, reference)
    visits = labels(frame, visit)
    subjects = labels(frame, subject)
    repeated = pd.DataFrame({"s": subjects, "v": visits}).duplicated()
    if repeated.any():
        row = repeated.index[repeated.to_numpy().nonzero()[0][0]]
        raise InvalidInput(
            f"{visit}: row {row} repeats visit {visits[row]!r} of subject {subjects[row]!r}",
            field=visit,
        )
    columns: dict[str, pd.Series] = {"(intercept)": pd.Series(1.0, index=frame.index)}
    columns["arm"] = (arms == other_arm).astype(float)
    keep = y.notna()
    means: dict[str, pd.Series] = {}
    factor_levels: dict[str, list[str]] = {}
    for name in covariates:
        if is_numeric(frame, name):
            means[name] = numbers(frame, name, allow_missing=True)
            keep &= means[name].notna()
    used = keep[keep].index
    present = set(visits[used])
    levels = [v for v in order if v in present] if order else visit_order(visits[used])
    for name in covariates:
        if name not in means:
            factor_levels[name] = sorted(labels(frame, name)[used].unique())
    for level in levels[1:]:
        columns[f"visit[{level}]"] = (visits == level).astype(float)
    if interaction:
        for level in levels[1:]:
            columns[f"arm:visit[{level}]"] = columns["arm"] * columns[f"visit[{level}]"]
    for name, values in means.items():
        columns[name] = values
    for name, factor in factor_levels.items():
        values = labels(frame, name)
        for level in factor[1:]:
            columns[f"{name}[{level}]"] = (values == level).astype(float)
    table = pd.DataFrame(columns).loc[used]
    x_all = table.to_numpy(dtype=float)
    kept = _full_rank(x_all)
    position = {level: i for i, level in enumerate(levels)}
    return Design(
        y=y[used].to_numpy(dtype=float),
        x=x_all[:, kept],
        subject=pd.factorize(subjects[used])[0].astype(float),
        visit=visits[used].map(position).to_numpy(dtype=float).astype(int),
        names=[table.columns[j] for j in kept],
        visits=levels,
        reference=reference_arm,
        other=other_arm,
        interaction=interaction,
        subjects_in_data=int(subjects.nunique()),
        _all_names=list(table.columns),
        _kept=kept,
        _covariate_means={name: float(values[used].mean()) for name, values in means.items()},
        _covariate_levels=factor_levels,
    )
