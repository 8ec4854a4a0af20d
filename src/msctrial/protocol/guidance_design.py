"""The guidance's rules on trial design: randomised, double-blind, placebo, standard care,
endpoints and follow-up (DOMAIN §2-3); the numbers come from the ruleset (``protocol.ruleset``).
"""

from __future__ import annotations

from msctrial.protocol.findings import Context, Finding, arm_field
from msctrial.protocol.model import (
    Allocation,
    ArmType,
    Measure,
    ProductKind,
    Protocol,
)


def check_randomised(p: Protocol, ctx: Context) -> list[Finding]:
    alloc = p.design.allocation
    if alloc is None or alloc is Allocation.randomised:
        return []
    return [
        ctx.finding(
            "not_randomised",
            f"allocation is {alloc.value.replace('_', ' ')}; the guidance recommends a randomised design",
            "design.allocation",
            ctx.guidance.design.source,
        )
    ]


def check_double_blind(p: Protocol, ctx: Context) -> list[Finding]:
    masking = p.design.masking
    if masking is None or masking.at_least_double:
        return []
    return [
        ctx.finding(
            "not_double_blind",
            f"masking is {masking.value}; the guidance recommends a double-blind design",
            "design.masking",
            ctx.guidance.design.source,
        )
    ]


def check_placebo(p: Protocol, ctx: Context) -> list[Finding]:
    """A placebo arm's vehicle names saline and albumin; an MSC trial without one is told so."""
    g = ctx.guidance.placebo
    placebos = [a for a in p.arms if a.type is ArmType.placebo or a.product is ProductKind.placebo]
    out = []
    for arm in placebos:
        if arm.vehicle is None:
            continue
        text = arm.vehicle.lower()
        missing = [
            words[0] for words in g.must_contain if not any(w.lower() in text for w in words)
        ]
        if missing:
            out.append(
                ctx.finding(
                    "placebo_composition",
                    f"placebo arm {arm.name!r} is {arm.vehicle!r}, without {' and '.join(missing)}; "
                    "the guidance's placebo is normal saline with albumin",
                    arm_field(p, arm, "vehicle"),
                    g.source,
                )
            )
    if not placebos and p.treatment_arms and len(p.arms) > 1:
        out.append(
            ctx.finding(
                "placebo_composition",
                "no placebo arm; the guidance's control is a placebo of normal saline with albumin",
                "arms",
                g.source,
            )
        )
    return out


def check_standard_care(p: Protocol, ctx: Context) -> list[Finding]:
    without = [a for a in p.arms if a.standard_care is False]
    return [
        ctx.finding(
            "standard_care_both_arms",
            f"arm {a.name!r} does not receive standard care; the guidance gives it to every arm",
            arm_field(p, a, "standard_care"),
            ctx.guidance.standard_care.source,
        )
        for a in without
    ]


def check_primary_endpoint(p: Protocol, ctx: Context) -> list[Finding]:
    g = ctx.guidance.primary_endpoint
    if any(e.measure in g.any_of for e in p.endpoints.primary):
        return []
    wanted = ", ".join(m.value.replace("_", " ") for m in g.any_of)
    have = ", ".join(e.measure.value.replace("_", " ") for e in p.endpoints.primary) or "none"
    return [
        ctx.finding(
            "primary_endpoint",
            f"primary endpoints ({have}) include none of {wanted}",
            "endpoints.primary",
            g.source,
        )
    ]


def check_safety_endpoints(p: Protocol, ctx: Context) -> list[Finding]:
    g = ctx.guidance.safety_endpoints
    measures = {e.measure for e in p.endpoints.all()}
    if Measure.infusion_reactions in measures:
        return []
    missing = [m for m in g.expected if m not in measures]
    if not missing:
        return []
    names = ", ".join(m.value.replace("_", " ") for m in missing)
    hint = (
        " (adverse events are followed, but these expected reactions are not named)"
        if (Measure.adverse_events in measures)
        else ""
    )
    return [
        ctx.finding(
            "safety_endpoints",
            f"expected reactions not followed: {names}{hint}",
            "endpoints.safety",
            g.source,
        )
    ]


def check_follow_up(p: Protocol, ctx: Context) -> list[Finding]:
    g = ctx.guidance.follow_up
    last_dose = max(
        (d for a in p.treatment_arms if a.dosing for d in a.dosing.schedule.all_days), default=0
    )
    follow = p.follow_up_days if p.follow_up_days is not None else p.last_visit_day
    endpoint_days = [t for e in p.endpoints.all() for t in e.time_points]
    if follow is None and endpoint_days:
        follow = max(endpoint_days)
    if follow is None:
        if not p.visits and not p.endpoints.all():
            return []  # nothing stated (e.g. a sparse registry record): unknown, not absent
        return [
            ctx.finding(
                "follow_up",
                "no follow-up period is set; give follow_up_days or visits",
                "follow_up_days",
                g.source,
            )
        ]
    after = follow - last_dose
    if after < g.min_days_after_last_dose:
        return [
            ctx.finding(
                "follow_up",
                f"follow-up ends {after} days after the last administration; plan at least "
                f"{g.min_days_after_last_dose}",
                "follow_up_days",
                g.source,
            )
        ]
    if follow < g.long_term_days:
        return [
            ctx.finding(
                "follow_up",
                f"follow-up ends at day {follow}; stem-cell safety follow-up to day "
                f"{g.long_term_days} is suggested",
                "follow_up_days",
                g.source,
                "advice",
            )
        ]
    return []
