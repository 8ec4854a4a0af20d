"""Biomarker trajectories: each inflammatory and immune marker's change from baseline by visit.

Pure: DataFrames in, DataFrames out. The markers are the seed's "inflammatory factors" and
immune cells (DOMAIN §4): NLR, IL-6, CRP, lymphocytes and the CD4/CD8 ratio, read from the
stored forms (the derived NLR and CD4/CD8 as ``clinical.visits.derived`` computed them).

Scale. IL-6, CRP, NLR and CD4/CD8 are ratios or concentrations that are right-skewed and move
multiplicatively: in severe COVID-19 IL-6 spans two orders of magnitude (normal < 7 pg/mL,
risk cut-off 142.5 pg/mL, CLINICAL_FACTS §4.1-4.2) and a treatment halves or doubles a value
rather than adding to it. Their change is analysed as log(value / baseline) and summarised as a
geometric mean ratio to baseline (exp of the mean log ratio and of its 95% CI), so a few very
high values neither dominate the mean nor break the normality the t interval and the MMRM
assume. The lymphocyte count lives in a narrow, roughly symmetric range (0.3-3 × 10^9/L,
§4.1-4.2) and is analysed as an absolute change in 10^9/L.

Missing visits are missing (no imputation); a value of 0 on a log-scale marker (below the
assay's limit) counts as half the smallest positive value of that marker, the usual LOD/2
substitution, since log 0 is undefined.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import t as student_t


@dataclass(frozen=True)
class Marker:
    """One biomarker: where it is stored, how it is named and on which scale it is analysed."""

    key: str
    form: str
    item: str
    label: str
    unit: str
    log_scale: bool

    @property
    def prefix(self) -> str:
        """The endpoints' column prefix of its change at each visit."""
        return f"{self.key}_log_ratio_" if self.log_scale else f"{self.key}_change_"

    @property
    def baseline(self) -> str:
        return f"{self.key}_baseline"

    @property
    def measure(self) -> str:
        """What the trajectory's figure and table show, as a reader would say it."""
        if self.log_scale:
            return f"{self.label}: geometric mean ratio to baseline"
        return f"{self.label}: change from baseline ({self.unit})"


MARKERS = (
    Marker("nlr", "cbc", "nlr", "NLR (neutrophil-to-lymphocyte ratio)", "1", True),
    Marker("il6", "cytokines", "il6", "IL-6", "pg/mL", True),
    Marker("crp", "chemistry", "crp", "CRP", "mg/L", True),
    Marker("lymphocytes", "cbc", "lymphocytes", "Lymphocytes", "10^9/L", False),
    Marker("cd4_cd8", "lymphocyte_subsets", "cd4_cd8_ratio", "CD4/CD8 ratio", "1", True),
)


def change_from_baseline(values: pd.DataFrame, form: str, item: str) -> pd.DataFrame:
    """Per subject and later visit: value, baseline (last on or before day 0) and change."""
    rows = values[(values["form"] == form) & (values["item"] == item) & values["value"].notna()]
    rows = rows.sort_values(["subject", "study_day"])
    before = rows[rows["study_day"] <= 0]
    baseline = before.groupby("subject")["value"].last().rename("baseline")
    after = rows[rows["study_day"] > 0][["subject", "visit", "study_day", "value"]]
    out = after.join(baseline, on="subject")
    out["change"] = out["value"] - out["baseline"]
    return out.reset_index(drop=True)


def visit_column(visit: str) -> str:
    """A visit's name as a column suffix: "Day 14" → "day_14"."""
    return visit.strip().lower().replace(" ", "_")


def _positive(values: pd.Series) -> pd.Series:
    """Values ≤ 0 (below the assay's limit) as half the smallest positive one (LOD/2)."""
    positive = values[values > 0]
    floor = float(positive.min()) / 2 if len(positive) else 1.0
    return values.where(values > 0, floor)


def marker_columns(values: pd.DataFrame, marker: Marker) -> pd.DataFrame:
    """Per subject: the marker's baseline and its change (or log ratio) at each later visit, the
    visits in study-day order. ``values`` carry ``study_day`` (endpoints.with_study_day)."""
    rows = values[(values["form"] == marker.form) & (values["item"] == marker.item)]
    rows = rows[rows["value"].notna()]
    if marker.log_scale and len(rows):
        rows = rows.assign(value=np.log(_positive(rows["value"])))
    change = change_from_baseline(rows, marker.form, marker.item)
    out = pd.DataFrame(index=pd.Index(values["subject"].unique(), name="subject"))
    if change.empty:
        return out
    baseline = change.groupby("subject")["baseline"].first()
    out[marker.baseline] = np.exp(baseline) if marker.log_scale else baseline
    for visit in change.groupby("visit")["study_day"].median().sort_values().index:
        at = change[change["visit"] == visit].set_index("subject")["change"]
        out[marker.prefix + visit_column(str(visit))] = at
    return out


def all_marker_columns(values: pd.DataFrame) -> pd.DataFrame:
    """Every marker's columns side by side, one row per subject."""
    frames = [marker_columns(values, marker) for marker in MARKERS]
    return pd.concat(frames, axis=1)


def _interval(values: pd.Series) -> tuple[float, float, float]:
    """Mean and t-based 95% CI (NaN half-width with fewer than two values)."""
    n = len(values)
    mean = float(values.mean()) if n else math.nan
    if n < 2:
        return mean, math.nan, math.nan
    half = float(student_t.ppf(0.975, n - 1) * values.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half


def trajectory(endpoints: pd.DataFrame, marker: Marker, group: str | None = None) -> pd.DataFrame:
    """The marker by visit: n, estimate and 95% CI (mean change, or the geometric mean ratio to
    baseline for a log-scale marker), pooled, or per level of ``group`` (the arm) if named."""
    columns = [c for c in endpoints.columns if c.startswith(marker.prefix)]
    groups = [("all subjects", endpoints)] if group is None else endpoints.groupby(group)
    rows = []
    for name, data in groups:
        for column in columns:
            values = data[column].dropna()
            mean, low, high = _interval(values)
            if marker.log_scale:
                mean, low, high = math.exp(mean), math.exp(low), math.exp(high)
            rows.append({"group": str(name), "visit": column.removeprefix(marker.prefix),
                         "n": len(values), "estimate": mean, "ci_low": low, "ci_high": high})  # fmt: skip
    return pd.DataFrame(rows, columns=["group", "visit", "n", "estimate", "ci_low", "ci_high"])


def trajectory_html(table: pd.DataFrame, marker: Marker) -> str:
    """The trajectory as an HTML table; the estimate's column says what it is."""
    name = "geometric mean ratio" if marker.log_scale else f"mean change ({marker.unit})"
    shown = table.rename(
        columns={"estimate": name, "ci_low": "95% CI low", "ci_high": "95% CI high"}
    )
    if set(shown["group"]) == {"all subjects"}:
        shown = shown.drop(columns="group")
    return shown.to_html(index=False, float_format=lambda x: f"{x:.3g}", na_rep="–")
