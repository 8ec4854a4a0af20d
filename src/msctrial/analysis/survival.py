"""Time to event in two arms: Kaplan-Meier medians, the log-rank test, the Cox hazard ratio.

lifelines does the work: ``KaplanMeierFitter`` for the medians, ``logrank_test`` for the
test, ``CoxPHFitter`` (Efron's method for ties, as R's ``coxph``) for the hazard ratio of the
other arm against the reference arm, with its Wald 95% confidence interval.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from lifelines import AalenJohansenFitter, CoxPHFitter, KaplanMeierFitter
from lifelines.statistics import logrank_test

from msctrial.analysis.dataset import durations, indicator, labels, two_arms
from msctrial.analysis.result import Result


@dataclass(frozen=True)
class SurvivalComparison(Result):
    """Two arms' time to event compared; the hazard ratio is ``other`` against ``reference``."""

    n: int
    events: int
    logrank_chi2: float
    logrank_p: float
    hazard_ratio: float
    hr_ci_low: float
    hr_ci_high: float
    median_by_arm: dict[str, float | None]
    reference: str
    other: str
    n_by_arm: dict[str, int] = field(default_factory=dict)
    events_by_arm: dict[str, int] = field(default_factory=dict)

    method = (
        "Kaplan-Meier medians, log-rank test, Cox proportional-hazards model with Efron ties "
        "(lifelines); hazard ratio of the other arm against the reference arm, Wald 95% CI."
    )


def _median(times: pd.Series, events: pd.Series) -> float | None:
    """The Kaplan-Meier median, or None when the curve never falls to one half."""
    median = float(KaplanMeierFitter().fit(times, events).median_survival_time_)
    return median if np.isfinite(median) else None


def compare_survival(
    frame: pd.DataFrame,
    *,
    time: str,
    event: str,
    arm: str,
    reference: str | None = None,
) -> SurvivalComparison:
    """Compare time to ``event`` (1 = the event, 0 = censored) between the two arms of ``arm``."""
    times = durations(frame, time)
    events = indicator(frame, event)
    arms = labels(frame, arm)
    reference_arm, other_arm = two_arms(arms, arm, reference)
    is_other = (arms == other_arm).astype(int)
    ref, oth = is_other == 0, is_other == 1

    test = logrank_test(times[oth], times[ref], events[oth], events[ref])
    data = pd.DataFrame({"time": times, "event": events, "other": is_other})
    cox = CoxPHFitter().fit(data, duration_col="time", event_col="event")
    log_ci = cox.confidence_intervals_.loc["other"]
    with np.errstate(over="ignore"):  # an arm without events: an infinite limit, shown as null
        low, high = np.exp(log_ci.iloc[0]), np.exp(log_ci.iloc[1])
    return SurvivalComparison(
        n=len(frame),
        events=int(events.sum()),
        logrank_chi2=float(test.test_statistic),
        logrank_p=float(test.p_value),
        hazard_ratio=float(cox.hazard_ratios_["other"]),
        hr_ci_low=float(low),
        hr_ci_high=float(high),
        median_by_arm={
            reference_arm: _median(times[ref], events[ref]),
            other_arm: _median(times[oth], events[oth]),
        },
        reference=reference_arm,
        other=other_arm,
        n_by_arm={reference_arm: int(ref.sum()), other_arm: int(oth.sum())},
        events_by_arm={
            reference_arm: int(events[ref].sum()),
            other_arm: int(events[oth].sum()),
        },
    )


def kaplan_meier(times: pd.Series, events: pd.Series) -> pd.DataFrame:
    """The Kaplan-Meier curve with its 95% band and numbers at risk, one row per event time."""
    fitter = KaplanMeierFitter().fit(times, events)
    curve = fitter.survival_function_.join(fitter.confidence_interval_)
    curve.columns = ["survival", "ci_low", "ci_high"]
    curve["at_risk"] = fitter.event_table["at_risk"].reindex(curve.index).fillna(0).astype(int)
    return curve


def cumulative_incidence(
    times: pd.Series, events: pd.Series, event_of_interest: int = 1
) -> pd.DataFrame:
    """Aalen-Johansen cumulative incidence of one event type with the others competing.

    ``events`` codes 0 censored, 1, 2, ... event types (for clinical improvement: 1 improved,
    2 died first). lifelines breaks tied times by a tiny seeded jitter, so the result is
    reproducible; its 95% band is the delta-method one lifelines reports.
    """
    with warnings.catch_warnings():
        # Visits fall on whole days, so ties are the rule; the jitter is documented above.
        warnings.filterwarnings("ignore", message="Tied event times")
        fitter = AalenJohansenFitter(seed=2020).fit(
            times, events, event_of_interest=event_of_interest
        )
    curve = fitter.cumulative_density_.iloc[:, [0]].join(fitter.confidence_interval_)
    band = curve.iloc[:, 1:]
    curve = pd.DataFrame(
        {"incidence": curve.iloc[:, 0], "ci_low": band.min(axis=1), "ci_high": band.max(axis=1)}
    )
    return curve
