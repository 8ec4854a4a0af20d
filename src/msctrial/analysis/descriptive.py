"""Descriptive tables of a report: baseline characteristics and adverse-event incidence.

Pure: DataFrames in, DataFrames out. One column per arm when the subjects carry an arm (an
unblinded reader), else one pooled column, "all subjects"; the denominator is the randomised
subjects in the column.
"""

from __future__ import annotations

import pandas as pd

POOLED = "all subjects"


def _columns(subjects: pd.DataFrame) -> list[tuple[str, pd.Index]]:
    frame = subjects.set_index("subject") if "subject" in subjects.columns else subjects
    if "arm" in frame.columns:
        return [(str(arm), rows.index) for arm, rows in frame.groupby("arm")]
    return [(POOLED, frame.index)]


def _median_iqr(values: pd.Series) -> str:
    values = values.dropna()
    if values.empty:
        return "–"
    q1, median, q3 = values.quantile([0.25, 0.5, 0.75])
    return f"{median:.0f} ({q1:.0f}–{q3:.0f})"


def _count(part: int, whole: int) -> str:
    return f"{part} ({100 * part / whole:.0f}%)" if whole else "0"


def baseline_table(subjects: pd.DataFrame, year: int) -> pd.DataFrame:
    """Characteristics at randomisation: n, age, sex, weight, severity, baseline P/F."""
    frame = subjects.set_index("subject") if "subject" in subjects.columns else subjects
    table: dict[str, dict[str, str]] = {}
    for name, index in _columns(frame):
        rows = frame.loc[index]
        n = len(rows)
        column = {
            "subjects": str(n),
            "age, years: median (IQR)": _median_iqr(year - rows["year_of_birth"].astype(float)),
            "women": _count(int((rows["sex"] == "female").sum()), n),
            "weight, kg: median (IQR)": _median_iqr(rows["weight_kg"].astype(float)),
        }
        for severity, count in rows["severity"].value_counts().sort_index().items():
            column[f"severity: {severity}"] = _count(int(count), n)
        if "pf_baseline" in rows.columns:
            column["P/F at day 0, mmHg: median (IQR)"] = _median_iqr(rows["pf_baseline"])
        table[name] = column
    return pd.DataFrame(table).fillna("0")


def ae_incidence(aes: pd.DataFrame, subjects: pd.DataFrame, top: int = 15) -> pd.DataFrame:
    """Subjects with at least one adverse event, overall, serious, grade 3 or more, and by term
    (the ``top`` most frequent terms), each as n (%) of the column's subjects."""
    frame = subjects.set_index("subject") if "subject" in subjects.columns else subjects
    aes = aes[aes["subject"].isin(frame.index)]
    terms = aes.groupby("term")["subject"].nunique().sort_values(ascending=False).head(top).index
    table: dict[str, dict[str, str]] = {}
    for name, index in _columns(frame):
        mine = aes[aes["subject"].isin(index)]
        n = len(index)
        column = {
            "any adverse event": _count(mine["subject"].nunique(), n),
            "serious adverse event": _count(mine.loc[mine["serious"], "subject"].nunique(), n),
            "grade 3 or more": _count(mine.loc[mine["grade"] >= 3, "subject"].nunique(), n),
        }
        for term in terms:
            column[f"term: {term}"] = _count(mine.loc[mine["term"] == term, "subject"].nunique(), n)
        table[name] = column
    return pd.DataFrame(table)
