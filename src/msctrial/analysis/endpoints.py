"""Derived endpoints per subject, from the stored visits. Pure: DataFrames in, DataFrames out.

The inputs are what the clinical services give (``analysis.trial`` loads them):

- ``subjects``: one row per randomised subject: ``subject``, ``site``, ``severity``, ``day0``
  (the date of day 0), ``exit_kind`` (died, withdrawn, lost_to_follow_up, completed or empty)
  and ``exit_day`` (its study day); ``arm`` only for an unblinded reader.
- ``values``: one row per stored form value: ``subject``, ``visit``, ``visit_date``, ``form``,
  ``item``, ``value`` (the canonical number) and ``text``.

Each endpoint says how it treats missing visits and intercurrent events (ICH E9(R1)):

- change from baseline: the value at a visit minus the baseline, the last value on or before
  day 0; a missing visit is missing (no imputation), a death ends the values (while alive).
- 28- and 90-day mortality: all-cause death on or before the day (treatment policy); a subject
  who left alive before the day without a later contact is missing, not a survivor.
- time to clinical improvement (Cao et al., NEJM 2020, CLINICAL_FACTS §2.3): the first visit
  with a fall of two or more categories on the seven-category scale from its day-0 value, or
  discharge alive, whichever comes first; death before improvement and no improvement are
  censored at day 28 (as Cao did), a subject who left earlier at the last assessment. Visits
  are days apart, so the time is the day of the visit at which improvement was first seen.
  For the competing-risks view, ``ttci_competing`` codes 1 improved, 2 died first, 0 censored
  (death then counts on its own day: Aalen-Johansen cumulative incidence).
- WHO clinical progression scale at days 14 and 28: the score nearest the day (within 3 days),
  10 for a subject who died by then (composite strategy), else missing.
- ventilator-free days to day 28 (Yehya et al., AJRCCM 2019): 0 if the subject died by day 28,
  otherwise 28 minus the days on invasive ventilation or ECMO, each visit's support counting
  until the next visit (the status between visits is that of the last one).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from msctrial.analysis.biomarkers import all_marker_columns, change_from_baseline, visit_column

HORIZON_DAYS = 28

# The platform records the WHO clinical progression scale (0-10, CLINICAL_FACTS §2.1); Cao's
# seven categories (§2.3) are read from it: 1 not hospitalised, normal activities (WHO 0-2);
# 2 not hospitalised, activities limited (3); 3 hospitalised, no oxygen (4); 4 oxygen by mask
# or prongs (5); 5 high flow or NIV (6); 6 invasive ventilation or ECMO (7-9); 7 death (10).
CAO_FROM_WHO = {0: 1, 1: 1, 2: 1, 3: 2, 4: 3, 5: 4, 6: 5, 7: 6, 8: 6, 9: 6, 10: 7}

VENTILATED = {"mechanical_ventilation", "ecmo"}


def cao_category(who_score: float) -> int:
    """Cao's seven-category ordinal scale from a WHO clinical progression score."""
    return CAO_FROM_WHO[int(round(who_score))]


def with_study_day(values: pd.DataFrame, subjects: pd.DataFrame) -> pd.DataFrame:
    """The values with ``study_day``: days from the subject's day 0 to the visit's date."""
    day0 = pd.to_datetime(subjects.set_index("subject")["day0"])
    dates = pd.to_datetime(values["visit_date"])
    out = values[values["subject"].isin(day0.index)].copy()
    out["study_day"] = (dates.loc[out.index] - out["subject"].map(day0)).dt.days
    return out


def numeric_items(values: pd.DataFrame) -> list[tuple[str, str]]:
    """(form, item) of every item stored as a number, e.g. ("blood_gas", "pf_ratio")."""
    numeric = values[values["value"].notna()]
    return sorted(set(zip(numeric["form"], numeric["item"], strict=True)))


def oxygenation(values: pd.DataFrame) -> pd.DataFrame:
    """P/F rows (item ``pf``): the altitude-corrected value where one is stored (above 1,000 m,
    CLINICAL_FACTS §0.1), the measured one elsewhere."""
    gas = values[(values["form"] == "blood_gas") & values["value"].notna()]
    keys = ["subject", "visit"]
    corrected = gas[gas["item"] == "pf_ratio_corrected"]
    measured = gas[gas["item"] == "pf_ratio"]
    measured = measured[~measured.set_index(keys).index.isin(corrected.set_index(keys).index)]
    return pd.concat([corrected, measured]).assign(item="pf")


def _last_contact(values: pd.DataFrame, subjects: pd.DataFrame) -> pd.Series:
    """The last study day the subject is known alive or dead: a visit, or the exit."""
    visits = values.groupby("subject")["study_day"].max()
    exits = subjects.set_index("subject")["exit_day"]
    return pd.concat([visits, exits], axis=1).max(axis=1).reindex(subjects["subject"])


def mortality(values: pd.DataFrame, subjects: pd.DataFrame, day: int) -> pd.Series:
    """1 died by ``day``, 0 known alive at ``day``, NaN when follow-up ended alive before it."""
    frame = subjects.set_index("subject")
    died = (frame["exit_kind"] == "died") & (frame["exit_day"] <= day)
    known_alive = _last_contact(values, subjects) >= day
    out = pd.Series(np.nan, index=frame.index, name=f"died_by_day_{day}")
    out[known_alive] = 0.0
    out[died] = 1.0
    return out


def _item(values: pd.DataFrame, form: str, item: str) -> pd.DataFrame:
    return values[(values["form"] == form) & (values["item"] == item)].sort_values(
        ["subject", "study_day"]
    )


def _discharge_days(values: pd.DataFrame, subjects: pd.DataFrame) -> pd.Series:
    """The first study day a subject is out of hospital alive: a discharge date, or a visit
    that records the subject as not hospitalised."""
    day0 = pd.to_datetime(subjects.set_index("subject")["day0"])
    dates = _item(values, "hospital_status", "discharge_date").dropna(subset=["text"])
    by_date = (pd.to_datetime(dates["text"]) - dates["subject"].map(day0)).dt.days
    from_dates = by_date.groupby(dates["subject"]).min()
    home = _item(values, "who_scale", "hospitalised")
    home = home[(home["text"] == "false") & (home["study_day"] > 0)]
    from_visits = home.groupby("subject")["study_day"].min()
    return pd.concat([from_dates, from_visits], axis=1).min(axis=1)


def time_to_improvement(
    values: pd.DataFrame, subjects: pd.DataFrame, horizon: int = HORIZON_DAYS
) -> pd.DataFrame:
    """Per subject: ``time`` (days) and ``improved`` (1, or 0 censored), as Cao et al. define it."""
    scores = _item(values, "who_scale", "who_score").dropna(subset=["value"])
    scores = scores.assign(category=scores["value"].map(cao_category))
    baseline = scores[scores["study_day"] <= 0].groupby("subject")["category"].last()
    later = scores[(scores["study_day"] > 0) & (scores["study_day"] <= horizon)]
    target = later["subject"].map(baseline) - 2
    improved_on = later[later["category"] <= target].groupby("subject")["study_day"].min()
    discharged = _discharge_days(values, subjects)
    first = pd.concat([improved_on, discharged[discharged <= horizon]], axis=1).min(axis=1)
    frame = subjects.set_index("subject")
    died_early = (frame["exit_kind"] == "died") & (frame["exit_day"] <= horizon)
    followed = _last_contact(values, subjects).clip(upper=horizon)
    censor_at = followed.where(~died_early, horizon).fillna(0).clip(lower=0)
    event_day = first.reindex(frame.index)
    out = pd.DataFrame(index=frame.index)
    out["improved"] = event_day.notna().astype(int)
    out["time"] = event_day.fillna(censor_at).astype(float)
    # For the competing-risks view (Aalen-Johansen): 1 improved, 2 died first, 0 censored, and
    # a death is an event on its own day rather than censored at day 28.
    died_first = died_early & event_day.isna()
    out["competing"] = np.where(out["improved"] == 1, 1, np.where(died_first, 2, 0))
    out["competing_time"] = out["time"].where(~died_first, frame["exit_day"].clip(lower=0))
    return out


def ventilator_free_days(
    values: pd.DataFrame, subjects: pd.DataFrame, horizon: int = HORIZON_DAYS
) -> pd.Series:
    """Days alive and free of invasive ventilation or ECMO to ``horizon`` (0 if dead by then)."""
    support = _item(values, "who_scale", "oxygen_support").dropna(subset=["text"])
    support = support[support["study_day"].between(0, horizon)]
    frame = subjects.set_index("subject")
    # Each visit's support lasts until the subject's next visit (the last one to the horizon).
    until = support.groupby("subject")["study_day"].shift(-1).fillna(horizon)
    days = (until - support["study_day"]).where(support["text"].isin(VENTILATED), 0.0)
    ventilated = days.groupby(support["subject"]).sum().reindex(frame.index).fillna(0.0)
    free = (horizon - ventilated).astype(float).rename("ventilator_free_days")
    died = (frame["exit_kind"] == "died") & (frame["exit_day"] <= horizon)
    free[died] = 0.0
    return free


def who_score_on(
    values: pd.DataFrame, subjects: pd.DataFrame, day: int, window: int = 3
) -> pd.Series:
    """The WHO scale at ``day``: the score recorded nearest to it within ``window`` days, or 10
    (dead) for a subject who died by then (death is the scale's worst category, a composite
    strategy); missing when neither."""
    scores = _item(values, "who_scale", "who_score").dropna(subset=["value"])
    near = scores[(scores["study_day"] - day).abs() <= window]
    near = near.assign(distance=(near["study_day"] - day).abs()).sort_values("distance")
    out = near.groupby("subject")["value"].first().reindex(subjects["subject"])
    frame = subjects.set_index("subject")
    out[(frame["exit_kind"] == "died") & (frame["exit_day"] <= day)] = 10.0
    return out.rename(f"who_day_{day}")


def derive_endpoints(values: pd.DataFrame, subjects: pd.DataFrame) -> pd.DataFrame:
    """One row per subject: the trial's endpoints, the P/F change and each biomarker's change
    (``biomarkers``) at each visit."""
    values = with_study_day(values, subjects)
    frame = subjects.set_index("subject")
    keep = [
        c
        for c in ("site", "severity", "year_of_birth", "sex", "weight_kg", "arm")
        if c in frame.columns
    ]
    out = frame[keep].copy()
    out["died_by_day_28"] = mortality(values, subjects, 28)
    out["died_by_day_90"] = mortality(values, subjects, 90)
    improvement = time_to_improvement(values, subjects)
    out["ttci_days"] = improvement["time"]
    out["ttci_improved"] = improvement["improved"]
    out["ttci_competing"] = improvement["competing"]
    out["ttci_competing_days"] = improvement["competing_time"]
    out["ventilator_free_days"] = ventilator_free_days(values, subjects)
    for day in (14, 28):
        out[f"who_day_{day}"] = who_score_on(values, subjects, day)
    pf = change_from_baseline(oxygenation(values), "blood_gas", "pf")
    out["pf_baseline"] = pf.groupby("subject")["baseline"].first()
    order = pf.groupby("visit")["study_day"].median().sort_values().index
    for visit in order:
        rows = pf[pf["visit"] == visit]
        out[f"pf_change_{visit_column(str(visit))}"] = rows.set_index("subject")["change"]
    return out.join(all_marker_columns(values))
