"""Does the stated sample size reach the stated power? (the seed's "sample size and power",
DOMAIN.md §5). Judged only when the protocol states its assumptions; the sizes come from
``protocol.design`` (statsmodels' normal-approximation power, Schoenfeld for events).
"""

from __future__ import annotations

import math

from msctrial.protocol import design
from msctrial.protocol.findings import Context, Finding
from msctrial.protocol.model import Protocol
from msctrial.protocol.planning import PowerAssumptions

SOURCE = "seed §3.2 and its framework [50]: sample size and power (DOMAIN.md §5)"


def required_total(a: PowerAssumptions) -> int:
    """Subjects to enrol for the stated power, after the expected dropout."""
    common = {"alpha": a.alpha, "power": a.power, "ratio": a.ratio}
    if a.endpoint == "proportions":
        assert a.p1 is not None and a.p2 is not None
        n = design.sample_size_proportions(a.p1, a.p2, continuity=a.continuity, **common).n_total
    elif a.endpoint == "means":
        assert a.delta is not None and a.sd is not None
        n = design.sample_size_means(a.delta, a.sd, **common).n_total
    else:
        assert a.hazard_ratio is not None
        n_total = design.events_survival(
            a.hazard_ratio, event_probability=a.event_probability, **common
        ).n_total
        assert n_total is not None
        n = n_total
    return math.ceil(n / (1 - a.dropout) - 1e-9)


def achieved_power(a: PowerAssumptions, target: int) -> float:
    """The power ``target`` enrolled subjects give under the stated assumptions."""
    analysed = target * (1 - a.dropout)
    first_arm = max(1, math.floor(analysed / (1 + a.ratio)))
    if a.endpoint == "proportions":
        assert a.p1 is not None and a.p2 is not None
        return design.power_proportions(a.p1, a.p2, first_arm, alpha=a.alpha, ratio=a.ratio)
    if a.endpoint == "means":
        assert a.delta is not None and a.sd is not None
        return design.power_means(a.delta, a.sd, first_arm, alpha=a.alpha, ratio=a.ratio)
    assert a.hazard_ratio is not None and a.event_probability is not None
    events = max(1, math.floor(analysed * a.event_probability))
    return design.power_survival(a.hazard_ratio, events, alpha=a.alpha, ratio=a.ratio)


def _assumed(a: PowerAssumptions) -> str:
    if a.endpoint == "proportions":
        effect = f"{a.p1:g} against {a.p2:g}"
    elif a.endpoint == "means":
        effect = f"a difference of {a.delta:g} with SD {a.sd:g}"
    else:
        effect = f"a hazard ratio of {a.hazard_ratio:g} with {a.event_probability:.0%} events"
    dropout = f", {a.dropout:.0%} dropout" if a.dropout else ""
    return f"{effect}, two-sided alpha {a.alpha:g}, ratio {a.ratio:g}{dropout}"


def check_sample_size(p: Protocol, ctx: Context) -> list[Finding]:
    size = p.sample_size
    if size is None or size.assumptions is None:
        return []
    a = size.assumptions
    needed = required_total(a)
    if size.target >= needed:
        return []
    power = achieved_power(a, size.target)
    return [
        ctx.finding(
            "sample_size_power",
            f"a target of {size.target} subjects does not reach the stated power of "
            f"{a.power:.0%}: with {_assumed(a)}, the design needs {needed} subjects; "
            f"{size.target} give a power of {power:.0%}",
            "sample_size.target",
            SOURCE,
        )
    ]
