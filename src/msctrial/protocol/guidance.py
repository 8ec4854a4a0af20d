"""Expert-guidance rules: one function per rule, each returning its findings for a protocol.

The numbers live in a versioned ruleset file (``protocol.ruleset``); the seed's guidance is the
default. Rule ids are a contract shared by ``msctrial protocol check`` and the registry survey.
A rule says nothing about what a protocol leaves unknown (``None``): the registry reader fills
only what a record states, and we do not guess.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

from msctrial.protocol.model import (
    Allocation,
    Arm,
    ArmType,
    DoseUnit,
    Measure,
    ProductKind,
    Protocol,
)
from msctrial.protocol.ruleset import (
    DEFAULT_RULESET,
    RULE_IDS,
    Guidance,
    Level,
    default_guidance,
    load_guidance,
    load_guidance_text,
)

__all__ = [
    "check_dose",
    "check_double_blind",
    "check_follow_up",
    "check_guidance",
    "check_indication",
    "check_infusions",
    "check_interval",
    "check_placebo",
    "check_primary_endpoint",
    "check_randomised",
    "check_safety_endpoints",
    "check_standard_care",
    "Context",
    "default_guidance",
    "DEFAULT_RULESET",
    "Finding",
    "format_cells",
    "Guidance",
    "has_deviation",
    "Level",
    "load_guidance",
    "load_guidance_text",
    "Rule",
    "RULE_IDS",
]


@dataclass(frozen=True)
class Finding:
    rule: str
    level: Level
    message: str
    field: str
    source: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


# --- the rules ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    guidance: Guidance
    weights_kg: tuple[float, float] = (50.0, 100.0)

    def finding(
        self, rule: str, message: str, field: str, source: str, level: Level | None = None
    ) -> Finding:
        return Finding(rule, level or self.guidance.level(rule), message, field, source)


Rule = Callable[[Protocol, Context], list[Finding]]


def _arm_field(p: Protocol, arm: Arm, tail: str) -> str:
    return f"arms[{p.arms.index(arm)}].{tail}"


def check_indication(p: Protocol, ctx: Context) -> list[Finding]:
    """Eligible severity must lie within severe, critical or common type progressing to severe."""
    g = ctx.guidance.indication
    outside = [s for s in p.eligibility.severity if s not in g.allowed_severity]
    if not outside:
        return []
    names = ", ".join(s.value for s in outside)
    allowed = ", ".join(s.value for s in g.allowed_severity)
    return [
        ctx.finding(
            "indication",
            f"eligible severity includes {names}; the guidance treats only {allowed}",
            "eligibility.severity",
            g.source,
        )
    ]


def check_infusions(p: Protocol, ctx: Context) -> list[Finding]:
    """At most ``infusions.max`` administrations per patient, optional extra doses included."""
    g = ctx.guidance.infusions
    out = []
    for arm in p.treatment_arms:
        if arm.dosing is None:
            continue
        n = arm.dosing.max_administrations
        if n is not None and n > g.max:
            out.append(
                ctx.finding(
                    "too_many_infusions",
                    f"arm {arm.name!r} gives up to {n} administrations; the guidance allows at most {g.max}",
                    _arm_field(p, arm, "dosing.schedule"),
                    g.source,
                )
            )
    return out


def _fmt(cells: float) -> str:
    """Per-kg doses in the guidance's own ×10^6 notation."""
    return f"{cells / 1e6:.3g}×10^6"


def format_cells(cells: float) -> str:
    """4e7 → '4×10^7', 9.9e7 → '9.9×10^7': how a fixed dose is written on a protocol."""
    exp = int(f"{cells:e}".split("e")[1])
    return f"{cells / 10**exp:.3g}×10^{exp}"


def check_dose(p: Protocol, ctx: Context) -> list[Finding]:
    """Each dose within the cells/kg band; a fixed dose is judged over the reference weights.

    A fixed dose outside the band at every reference weight is a deviation; outside it for only
    part of the weight range is advice naming those weights (issue 2).
    """
    g = ctx.guidance.dose_per_kg
    out: list[Finding] = []
    for arm in p.treatment_arms:
        if arm.dosing is None or arm.product is not ProductKind.cells:
            continue
        field = _arm_field(p, arm, "dosing.dose")
        for dose in arm.dosing.doses:
            low_end, high_end = dose.value, dose.max or dose.value
            if dose.unit is DoseUnit.cells_per_kg:
                if low_end < g.min:
                    out.append(
                        ctx.finding(
                            "dose_per_kg_low",
                            f"arm {arm.name!r}: {_fmt(low_end)} cells/kg is below the guidance's "
                            f"{_fmt(g.min)} cells/kg",
                            field,
                            g.source,
                        )
                    )
                if high_end > g.max:
                    out.append(
                        ctx.finding(
                            "dose_per_kg_high",
                            f"arm {arm.name!r}: {_fmt(high_end)} cells/kg is above the guidance's "
                            f"{_fmt(g.max)} cells/kg",
                            field,
                            g.source,
                        )
                    )
            elif dose.unit is DoseUnit.cells:
                out.extend(_fixed_dose(p, arm, ctx, low_end, high_end, field))
    return out


def _fixed_dose(
    p: Protocol, arm: Arm, ctx: Context, low_end: float, high_end: float, field: str
) -> list[Finding]:
    g = ctx.guidance.dose_per_kg
    lo_w, hi_w = ctx.weights_kg
    out: list[Finding] = []
    # Per kg, a fixed dose is highest for the lightest patient and lowest for the heaviest.
    # Weights below which the dose is too high: w < dose / max; above which too low: w > dose / min.
    low_from = low_end / g.min  # heavier than this: below the band
    high_until = high_end / g.max  # lighter than this: above the band
    span = f"{lo_w:g}-{hi_w:g} kg"
    if low_from < hi_w:
        every = low_from < lo_w
        out.append(
            ctx.finding(
                "dose_per_kg_low",
                f"arm {arm.name!r}: a fixed {format_cells(low_end)} cells is {_fmt(low_end / hi_w)}-"
                f"{_fmt(low_end / lo_w)} cells/kg over {span}; below {_fmt(g.min)} cells/kg "
                + (
                    "for every reference weight"
                    if every
                    else f"for patients over {low_from:.0f} kg"
                ),
                field,
                g.source,
                None if every else "advice",
            )
        )
    if high_until > lo_w:
        every = high_until > hi_w
        out.append(
            ctx.finding(
                "dose_per_kg_high",
                f"arm {arm.name!r}: a fixed {format_cells(high_end)} cells is {_fmt(high_end / hi_w)}-"
                f"{_fmt(high_end / lo_w)} cells/kg over {span}; above {_fmt(g.max)} cells/kg "
                + (
                    "for every reference weight"
                    if every
                    else f"for patients under {high_until:.0f} kg"
                ),
                field,
                g.source,
                None if every else "advice",
            )
        )
    return out


def check_interval(p: Protocol, ctx: Context) -> list[Finding]:
    """At least ``interval.min_days`` between consecutive administrations."""
    g = ctx.guidance.interval
    out = []
    for arm in p.treatment_arms:
        if arm.dosing is None:
            continue
        days = arm.dosing.schedule.all_days
        gaps = [b - a for a, b in zip(days, days[1:], strict=False)]
        if gaps and min(gaps) < g.min_days:
            out.append(
                ctx.finding(
                    "interval_short",
                    f"arm {arm.name!r}: {min(gaps)} days between administrations (days "
                    f"{', '.join(map(str, days))}); the guidance asks for at least {g.min_days}",
                    _arm_field(p, arm, "dosing.schedule"),
                    g.source,
                )
            )
    return out


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
                    _arm_field(p, arm, "vehicle"),
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
            _arm_field(p, a, "standard_care"),
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


RULES: dict[str, Rule] = {
    "indication": check_indication,
    "too_many_infusions": check_infusions,
    "dose_per_kg": check_dose,
    "interval_short": check_interval,
    "not_randomised": check_randomised,
    "not_double_blind": check_double_blind,
    "placebo_composition": check_placebo,
    "standard_care_both_arms": check_standard_care,
    "primary_endpoint": check_primary_endpoint,
    "safety_endpoints": check_safety_endpoints,
    "follow_up": check_follow_up,
}


def check_guidance(
    protocol: Protocol,
    guidance: Guidance | None = None,
    weights_kg: tuple[float, float] = (50.0, 100.0),
) -> list[Finding]:
    """Every finding of every rule, deviations first."""
    ctx = Context(guidance or default_guidance(), weights_kg)
    findings = [f for rule in RULES.values() for f in rule(protocol, ctx)]
    return sorted(findings, key=lambda f: (f.level != "deviation", RULE_IDS.index(f.rule)))


def has_deviation(findings: list[Finding]) -> bool:
    return any(f.level == "deviation" for f in findings)
