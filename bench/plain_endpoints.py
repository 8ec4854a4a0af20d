"""The bench's yardstick: each endpoint as a plain pandas computation, straight from SQL rows.

Written for the bench (bench/analysis.py), independently of ``analysis.endpoints``: the rows
come from ``pandas.read_sql``, each endpoint is the shortest pandas a statistician would write
for the same definition (see ``analysis.endpoints``' docstring), and ``same`` checks that both
give the same numbers, so the ratio compares equal work.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

VALUES_SQL = """
SELECT s.subject_code AS subject, v.visit_name AS visit, v.visit_date, e.form, fv.item,
       fv.number AS value, fv.text
FROM form_value fv
JOIN form_entry e ON e.id = fv.entry_id
JOIN visit_record v ON v.id = e.visit_id
JOIN subject s ON s.id = e.subject_id
WHERE e.voided_at IS NULL AND (fv.number IS NOT NULL OR fv.text IS NOT NULL)
"""
SUBJECTS_SQL = """
SELECT s.subject_code AS subject, s.day0_date AS day0, x.kind AS exit_kind,
       julianday(x.exit_date) - julianday(s.day0_date) AS exit_day
FROM subject s LEFT JOIN study_exit x ON x.subject_id = s.id
WHERE s.day0_date IS NOT NULL
"""
# Cao's seven categories from the WHO scale (CLINICAL_FACTS §2.3), as a lookup array.
CAO = np.array([1, 1, 1, 2, 3, 4, 5, 6, 6, 6, 7])


def study_days(values: pd.DataFrame, subjects: pd.DataFrame) -> pd.DataFrame:
    day0 = pd.to_datetime(subjects.set_index("subject")["day0"])
    out = values.merge(day0.rename("d0"), left_on="subject", right_index=True)
    out["study_day"] = (pd.to_datetime(out["visit_date"]) - out["d0"]).dt.days
    return out.drop(columns="d0")


def _last_contact(values: pd.DataFrame, subjects: pd.DataFrame) -> pd.Series:
    seen = values.groupby("subject")["study_day"].max()
    exits = subjects.set_index("subject")["exit_day"]
    return np.fmax(seen.reindex(exits.index), exits)


def _died_by(subjects: pd.DataFrame, day: int) -> pd.Series:
    s = subjects.set_index("subject")
    return (s["exit_kind"] == "died") & (s["exit_day"] <= day)


def mortality(values: pd.DataFrame, subjects: pd.DataFrame, day: int) -> pd.Series:
    alive = (_last_contact(values, subjects) >= day).map({True: 0.0, False: np.nan})
    return alive.mask(_died_by(subjects, day), 1.0)


def _item(values: pd.DataFrame, form: str, item: str) -> pd.DataFrame:
    return values[(values["form"] == form) & (values["item"] == item)]


def time_to_improvement(values: pd.DataFrame, subjects: pd.DataFrame) -> pd.DataFrame:
    scores = _item(values, "who_scale", "who_score").dropna(subset=["value"])
    scores = scores.assign(cat=CAO[scores["value"].round().astype(int)])
    base = scores[scores["study_day"] <= 0].sort_values("study_day").groupby("subject")["cat"]
    later = scores[scores["study_day"].between(1, 28)].merge(
        base.last().rename("base"), left_on="subject", right_index=True
    )
    improved = later[later["cat"] <= later["base"] - 2].groupby("subject")["study_day"].min()
    day0 = pd.to_datetime(subjects.set_index("subject")["day0"])
    dates = _item(values, "hospital_status", "discharge_date").dropna(subset=["text"])
    left = (pd.to_datetime(dates["text"]) - dates["subject"].map(day0)).dt.days
    home = _item(values, "who_scale", "hospitalised")
    home = home[(home["text"] == "false") & (home["study_day"] > 0)]
    out_day = pd.concat([left.groupby(dates["subject"]).min(),
                         home.groupby("subject")["study_day"].min()], axis=1).min(axis=1)  # fmt: skip
    first = np.fmin(improved.reindex(day0.index), out_day[out_day <= 28].reindex(day0.index))
    censor = _last_contact(values, subjects).clip(upper=28)
    censor = censor.mask(_died_by(subjects, 28), 28).fillna(0).clip(lower=0)
    return pd.DataFrame({"time": first.fillna(censor).astype(float),
                         "improved": first.notna().astype(int)})  # fmt: skip


def ventilator_free_days(values: pd.DataFrame, subjects: pd.DataFrame) -> pd.Series:
    support = _item(values, "who_scale", "oxygen_support").dropna(subset=["text"])
    support = support[support["study_day"].between(0, 28)].sort_values(["subject", "study_day"])
    until = support.groupby("subject")["study_day"].shift(-1).fillna(28)
    on = support["text"].isin(["mechanical_ventilation", "ecmo"])
    days_on = (until - support["study_day"]).where(on, 0).groupby(support["subject"]).sum()
    free = 28 - days_on.reindex(subjects["subject"]).fillna(0)
    return free.mask(_died_by(subjects, 28), 0.0)


def who_on(values: pd.DataFrame, subjects: pd.DataFrame, day: int) -> pd.Series:
    scores = _item(values, "who_scale", "who_score").dropna(subset=["value"])
    near = scores.assign(distance=(scores["study_day"] - day).abs())
    near = near[near["distance"] <= 3].sort_values("distance", kind="stable")
    out = near.drop_duplicates("subject").set_index("subject")["value"]
    return out.reindex(subjects["subject"]).mask(_died_by(subjects, day), 10.0)


def _change(rows: pd.DataFrame) -> pd.DataFrame:
    """Value minus the last value on or before day 0, one column per later visit."""
    rows = rows.sort_values(["subject", "study_day"])
    base = rows[rows["study_day"] <= 0].groupby("subject")["value"].last()
    after = rows[rows["study_day"] > 0]
    after = after.assign(change=after["value"] - after["subject"].map(base))
    after = after[after["change"].notna()]
    order = after.groupby("visit")["study_day"].median().sort_values().index
    return after.pivot_table(index="subject", columns="visit", values="change")[list(order)]


def pf_change(values: pd.DataFrame) -> pd.DataFrame:
    gas = values[(values["form"] == "blood_gas") & values["value"].notna()]
    corrected = gas[gas["item"] == "pf_ratio_corrected"]
    measured = gas[gas["item"] == "pf_ratio"]
    keys = pd.MultiIndex.from_frame(corrected[["subject", "visit"]])
    measured = measured[~pd.MultiIndex.from_frame(measured[["subject", "visit"]]).isin(keys)]
    return _change(pd.concat([corrected, measured]))


def marker_change(values: pd.DataFrame, form: str, item: str, log: bool) -> pd.DataFrame:
    rows = _item(values, form, item).dropna(subset=["value"])
    if log:
        floor = rows.loc[rows["value"] > 0, "value"].min() / 2
        rows = rows.assign(value=np.log(rows["value"].where(rows["value"] > 0, floor)))
    return _change(rows)


def same(ours: object, theirs: object) -> bool:
    """Whether two results hold the same numbers (by subject, columns in order)."""
    a = pd.DataFrame(ours).sort_index()
    b = pd.DataFrame(theirs).reindex(a.index)
    if a.shape != b.shape:
        return False
    return bool(np.allclose(a.to_numpy(dtype=float), b.to_numpy(dtype=float), equal_nan=True))
