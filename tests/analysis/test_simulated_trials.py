"""The simulator's patient model as a test bed: a simulated effect is found, no effect is not.

The patients are drawn with the simulator's own model (``simulation.patients``: the same draws
``msctrial clinical simulate`` uses), without the database, so many trials fit in a second:
death by day 28 and discharge alive (an improvement in Cao's definition, censored at day 28)
per patient, analysed with the package's binary and survival comparisons.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from msctrial.analysis.binary import compare_binary
from msctrial.analysis.survival import compare_survival
from msctrial.simulation.patients import discharge_day, draw_patient

ALPHA = 0.05


def simulated_trial(subjects: int, effect: float, seed: int) -> pd.DataFrame:
    """One two-arm trial of the simulator's patients, 1:1 alternating, day-28 outcomes."""
    rng = np.random.default_rng(seed)
    rows = []
    for number in range(subjects):
        patient = draw_patient(rng, site="WUH", year=2020, screen_failure_rate=0.0)
        msc = number % 2 == 1
        dies = patient.dies(msc, effect)
        home = discharge_day(patient, msc, effect) if not dies else None
        improved = home is not None and home <= 28
        rows.append({
            "arm": "UC-MSC" if msc else "Placebo",
            "severity": patient.severity,
            "died": int(dies and patient.death_day <= 28),
            "improved": int(improved),
            "day": float(home if improved else 28),
        })  # fmt: skip
    frame = pd.DataFrame(rows)
    frame.index = pd.RangeIndex(1, subjects + 1)
    return frame


def test_the_full_effect_is_found_in_mortality_and_improvement():
    trial = simulated_trial(400, effect=1.0, seed=2020)
    died = compare_binary(trial, outcome="died", arm="arm", strata="severity", reference="Placebo")
    assert died.risk_difference < 0 and died.cmh_p < ALPHA
    improved = compare_survival(trial, time="day", event="improved", arm="arm",
                                reference="Placebo")  # fmt: skip
    assert improved.hazard_ratio > 1 and improved.logrank_p < ALPHA


@pytest.mark.parametrize("endpoint", ["mortality", "improvement"])
def test_without_an_effect_the_type_one_error_stays_near_alpha(endpoint):
    """40 seeded null trials of 120 patients: the number of rejections at 5% is binomial(40,
    0.05) if the tests hold their size; 7 or more would happen with probability 0.005."""
    rejections = 0
    for seed in range(40):
        trial = simulated_trial(120, effect=0.0, seed=seed)
        if endpoint == "mortality":
            p = compare_binary(trial, outcome="died", arm="arm").fisher_p
        else:
            p = compare_survival(trial, time="day", event="improved", arm="arm").logrank_p
        rejections += p < ALPHA
    assert rejections <= 6
