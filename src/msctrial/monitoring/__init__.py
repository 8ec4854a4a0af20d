"""Risk-adapted monitoring: key risk indicators per site, gsm's scoring and the quality scorecard.

- ``model``: the data types (a group's counts, its result, thresholds and flags, the accrual
  minimum) and the flagging rules, pure.
- ``methods``: gsm's four ways to score a group against the others (normal approximation with
  over-dispersion, Poisson deviance residuals, Fisher's exact, identity), pure.
- ``table``: any CSV table read into per-group counts, refusing a bad column or row by name.
"""

from msctrial.monitoring.methods import analyze
from msctrial.monitoring.service import (
    key_risk_indicators,
    monitoring_plan,
    quality_tolerance_limits,
    trial_scorecard,
)

__all__ = [
    "analyze",
    "key_risk_indicators",
    "monitoring_plan",
    "quality_tolerance_limits",
    "trial_scorecard",
]
