"""The guidance's rules on dosing: indication, number of infusions, dose per kg, interval.

DOMAIN §2 (the expert guidance): at most 3 infusions of 1-5 × 10^6 cells/kg, at least 3 days
apart, for the indications it names; the numbers come from the ruleset (``protocol.ruleset``).
"""

from __future__ import annotations

from msctrial.protocol.findings import Context, Finding, arm_field
from msctrial.protocol.model import (
    Arm,
    DoseUnit,
    ProductKind,
    Protocol,
)


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
                    arm_field(p, arm, "dosing.schedule"),
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
        field = arm_field(p, arm, "dosing.dose")
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
                    arm_field(p, arm, "dosing.schedule"),
                    g.source,
                )
            )
    return out
