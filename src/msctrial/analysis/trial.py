"""The trial's own analysis: endpoints from the stored visits, then the statistics.

The one place the analysis package learns arms is ``trial_data.randomised_subjects``, which
gives an arm only to a reader the randomisation's ``arm_visible`` allows (the DSMB, the
pharmacist, an open-label trial). A blinded reader, the statistician among them, gets pooled
figures only: no arm, no per-arm count, no comparison.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from msctrial.analysis.ancova import ancova
from msctrial.analysis.binary import compare_binary
from msctrial.analysis.biomarkers import MARKERS, Marker
from msctrial.analysis.dataset import two_arms
from msctrial.analysis.endpoints import derive_endpoints
from msctrial.analysis.ordinal import proportional_odds
from msctrial.analysis.repeated import repeated_measures
from msctrial.analysis.result import Result, plain
from msctrial.analysis.survival import compare_survival
from msctrial.analysis.trial_data import form_values, randomised_subjects
from msctrial.core.actors import Actor
from msctrial.core.errors import InvalidInput

ANALYSTS = ("statistician", "dsmb", "admin")


def trial_endpoints(session: Session, actor: Actor, site_code: str | None = None) -> pd.DataFrame:
    """One row per randomised subject with every derived endpoint (and the arm if visible)."""
    actor.require(*ANALYSTS, to="analyse the trial")
    subjects = randomised_subjects(session, actor, site_code)
    if subjects.empty:
        raise InvalidInput("trial: no randomised subject to analyse yet", field="trial")
    return derive_endpoints(form_values(session, actor, site_code), subjects)


@dataclass(frozen=True)
class TrialAnalysis:
    """The trial's endpoints summarised: pooled for a blinded reader, compared by arm if not."""

    blinded: bool
    n: int
    pooled: dict[str, Any]
    comparisons: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return plain(
            {"blinded": self.blinded, "n": self.n, "pooled": self.pooled,
             "comparisons": self.comparisons}
        )  # fmt: skip


def pooled_summary(endpoints: pd.DataFrame) -> dict[str, Any]:
    known28 = endpoints["died_by_day_28"].dropna()
    pf = endpoints.filter(like="pf_change_")
    return {
        "deaths_by_day_28": int(known28.sum()),
        "known_at_day_28": int(known28.size),
        "improved_by_day_28": int(endpoints["ttci_improved"].sum()),
        "median_ventilator_free_days": float(endpoints["ventilator_free_days"].median()),
        "mean_pf_change": {c.removeprefix("pf_change_"): float(pf[c].mean()) for c in pf},
    }


def _attempt(analysis: Callable[[], Result]) -> Result | str:
    """The analysis' result, or why it cannot be done yet (too few subjects, one arm only)."""
    try:
        return analysis()
    except InvalidInput as exc:
        return exc.message


def compare_arms(endpoints: pd.DataFrame, reference: str | None) -> dict[str, Result | str]:
    """Per-arm comparisons of the endpoints: only called with the arm column present."""
    data = endpoints.reset_index()
    data.index = pd.RangeIndex(1, len(data) + 1)
    known = data[data["died_by_day_28"].notna()]
    out = {
        "ttci": _attempt(
            partial(compare_survival, data, time="ttci_days", event="ttci_improved", arm="arm",
                    reference=reference)
        ),
        "mortality_28": _attempt(
            partial(compare_binary, known, outcome="died_by_day_28", arm="arm",
                    strata="severity", reference=reference)
        ),
    }  # fmt: skip
    for day in (14, 28):
        out[f"who_day_{day}"] = _attempt(
            partial(proportional_odds, data, outcome=f"who_day_{day}", arm="arm",
                    covariates=["severity"], reference=reference)
        )  # fmt: skip
    changes = [c for c in data if c.startswith("pf_change_")]
    for column in changes:
        out[column] = _attempt(
            partial(ancova, data, outcome=column, baseline="pf_baseline", arm="arm",
                    covariates=["severity"], reference=reference)
        )  # fmt: skip
    if changes:
        out["pf_mmrm"] = _attempt(partial(pf_over_visits, data, changes, reference))
    for marker in MARKERS:
        columns = [c for c in data if c.startswith(marker.prefix)]
        if columns:
            out[f"{marker.key}_mmrm"] = _attempt(
                partial(marker_over_visits, data, marker, columns, reference)
            )
    return out


def pf_over_visits(data: pd.DataFrame, changes: list[str], reference: str | None) -> Result:
    """P/F change from day 0 over every visit: an MMRM with an unstructured covariance, arm ×
    visit, adjusted for baseline P/F and severity; ``changes`` are the columns in visit order.
    Its difference at the last visit is the estimand the DSMB reads."""
    return _change_over_visits(data, changes, "pf_change_", "pf_baseline", reference)


def marker_over_visits(
    data: pd.DataFrame, marker: Marker, columns: list[str], reference: str | None
) -> Result:
    """A biomarker's change (log ratio for a log-scale marker, ``biomarkers``) over every visit:
    the same MMRM as P/F's, adjusted for the baseline (its log on the log scale) and severity."""
    data = data.copy()
    if marker.log_scale:
        data[marker.baseline] = np.log(data[marker.baseline])
    return _change_over_visits(data, columns, marker.prefix, marker.baseline, reference)


def _change_over_visits(
    data: pd.DataFrame, columns: list[str], prefix: str, baseline: str, reference: str | None
) -> Result:
    visits = [c.removeprefix(prefix) for c in columns]
    long = data.melt(id_vars=["subject", "arm", "severity", baseline], value_vars=columns,
                     var_name="visit", value_name="change")  # fmt: skip
    long["visit"] = long["visit"].str.removeprefix(prefix)
    long = long[long[baseline].notna()]
    long.index = pd.RangeIndex(1, len(long) + 1)
    return repeated_measures(
        long, outcome="change", arm="arm", visit="visit", subject="subject",
        covariates=[baseline, "severity"], reference=reference, by_visit=True,
        visit_order=visits,
    )  # fmt: skip


def analyse_trial(
    session: Session, actor: Actor, *, reference: str | None = None, site_code: str | None = None
) -> TrialAnalysis:
    """The endpoints' summary; comparisons by arm only when the actor may see arms."""
    endpoints = trial_endpoints(session, actor, site_code)
    blinded = "arm" not in endpoints.columns
    if not blinded and reference is not None:
        two_arms(endpoints["arm"].astype(str), "arm", reference)  # an unknown arm: exit 2
    results = {} if blinded else compare_arms(endpoints, reference)
    comparisons = {
        name: {"not_estimable": r} if isinstance(r, str) else r.to_dict()
        for name, r in results.items()
    }
    return TrialAnalysis(
        blinded=blinded, n=len(endpoints), pooled=pooled_summary(endpoints), comparisons=comparisons
    )
