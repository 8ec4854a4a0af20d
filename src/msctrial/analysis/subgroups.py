"""The primary comparison within subgroups, for a forest plot (the DSMB's report only).

Time to clinical improvement by arm (the Cox hazard ratio, as ``survival``) within each level of
severity, age group (under 60, 60 or over) and site. A subgroup in which the comparison cannot
be made (one arm only, no event) is listed with no estimate. Subgroup results describe
consistency; they are not tests of their own (no multiplicity adjustment).
"""

from __future__ import annotations

import math
import warnings

import pandas as pd

from msctrial.analysis.survival import compare_survival
from msctrial.core.errors import InvalidInput

AGE_CUT = 60


def subgroup_levels(endpoints: pd.DataFrame, year: int) -> dict[str, pd.Series]:
    """Each subgrouping as a label per subject."""
    age = year - endpoints["year_of_birth"].astype(float)
    return {
        "severity": endpoints["severity"].astype(str),
        "age": age.map(lambda a: f"{AGE_CUT} or over" if a >= AGE_CUT else f"under {AGE_CUT}"),
        "site": endpoints["site"].astype(str),
    }


def subgroup_hazard_ratios(
    endpoints: pd.DataFrame, *, year: int, reference: str | None = None
) -> pd.DataFrame:
    """One row per subgroup level (and ``overall``): n, hazard ratio and 95% CI."""
    data = endpoints.reset_index(drop=True)
    data.index = pd.RangeIndex(1, len(data) + 1)
    rows = [_row("overall", "all", data, reference)]
    for name, levels in subgroup_levels(data, year).items():
        for level in sorted(levels.unique()):
            rows.append(_row(name, level, data[levels == level], reference))
    return pd.DataFrame(rows)


def _row(subgroup: str, level: str, data: pd.DataFrame, reference: str | None) -> dict:
    row = {"subgroup": subgroup, "level": level, "n": len(data), "hazard_ratio": math.nan,
           "ci_low": math.nan, "ci_high": math.nan}  # fmt: skip
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # lifelines' convergence notes on tiny subgroups
            result = compare_survival(
                data, time="ttci_days", event="ttci_improved", arm="arm", reference=reference
            )
    except (InvalidInput, ValueError, ArithmeticError):
        return row
    if result.events and all(math.isfinite(v) for v in (result.hr_ci_low, result.hr_ci_high)):
        row.update(hazard_ratio=result.hazard_ratio, ci_low=result.hr_ci_low,
                   ci_high=result.hr_ci_high)  # fmt: skip
    return row
