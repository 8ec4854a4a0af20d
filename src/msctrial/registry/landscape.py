"""The landscape of registered MSC trials: counts, the dose picture, and SVG figures.

``gather`` turns the stored designs into plain counts (no plotting); ``figures`` draws each as
an SVG with matplotlib's object API (no global pyplot state, so it is safe in a web server).
Fixed doses are shown per kg over the reference weights, as the guidance judges them.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field

from msctrial.protocol.guidance import Guidance, default_guidance
from msctrial.registry.model import ExtractedDesign, Study
from msctrial.registry.table1 import _ROUTE_WORDS, _SOURCE_WORDS, describe_phase

NOT_STATED = "not stated"


@dataclass(frozen=True)
class DosePerKg:
    """One trial's dose per kg: a point (per-kg dose) or a span (fixed dose over weights)."""

    trial_id: str
    low: float
    high: float
    fixed: bool


@dataclass
class Landscape:
    trials: int = 0
    by_country: Counter[str] = field(default_factory=Counter)
    by_start_month: Counter[str] = field(default_factory=Counter)
    by_phase: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    by_source: Counter[str] = field(default_factory=Counter)
    by_route: Counter[str] = field(default_factory=Counter)
    by_administrations: Counter[str] = field(default_factory=Counter)
    enrollment: list[int] = field(default_factory=list)
    doses: list[DosePerKg] = field(default_factory=list)
    band: tuple[float, float] = (1e6, 5e6)
    weights_kg: tuple[float, float] = (50.0, 100.0)
    meeting: list[str] = field(default_factory=list)
    deviating: dict[str, list[str]] = field(default_factory=dict)  # trial_id → rules broken
    rules_broken: Counter[str] = field(default_factory=Counter)


def gather(
    items: list[tuple[Study, ExtractedDesign]],
    guidance: Guidance | None = None,
    weights_kg: tuple[float, float] = (50.0, 100.0),
) -> Landscape:
    g = guidance or default_guidance()
    land = Landscape(band=(g.dose_per_kg.min, g.dose_per_kg.max), weights_kg=weights_kg)
    lo_w, hi_w = weights_kg
    for study, d in items:
        if not d.is_msc_trial:
            continue
        land.trials += 1
        for country in study.countries or [NOT_STATED]:
            land.by_country[country] += 1
        land.by_start_month[study.start_date[:7] if study.start_date else NOT_STATED] += 1
        land.by_phase[describe_phase(d)] += 1
        land.by_status[(study.overall_status or NOT_STATED).replace("_", " ").lower()] += 1
        source = _SOURCE_WORDS.get(d.cell_source or "", "tissue not stated")
        if d.product_type and d.product_type != "cells":
            source += " (" + d.product_type.replace("_", " ") + ")"
        land.by_source[source] += 1
        land.by_route[_ROUTE_WORDS.get(d.route or "", NOT_STATED)] += 1
        land.by_administrations[str(d.administrations) if d.administrations else NOT_STATED] += 1
        if d.enrollment is not None:
            land.enrollment.append(d.enrollment)
        for level in d.dose_levels:
            top = level.max or level.value
            if level.unit == "cells/kg":
                land.doses.append(DosePerKg(d.trial_id, level.value, top, fixed=False))
            elif level.unit == "cells":
                land.doses.append(DosePerKg(d.trial_id, level.value / hi_w, top / lo_w, fixed=True))
        deviations = list(dict.fromkeys(f.rule for f in d.findings if f.level == "deviation"))
        if deviations:
            land.deviating[d.trial_id] = deviations
            land.rules_broken.update(deviations)
        else:
            land.meeting.append(d.trial_id)
    return land


# --- figures ---------------------------------------------------------------------------------

_INK = "#1d2733"
_ACCENT = "#0b6e6e"
_BAD = "#a4262c"


def _svg(fig) -> str:  # noqa: ANN001
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    return text[text.index("<svg") :]  # inline in HTML: no XML prolog or doctype


def _figure(height: float = 3.0):  # noqa: ANN202
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, height))
    ax = fig.subplots()
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig, ax


def bar_chart(counts: Counter[str], title: str, *, order: str = "count", limit: int = 20) -> str:
    """Horizontal bars, largest first (or in label order for months)."""
    import matplotlib

    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: smaller, searchable

    def by_label(kv: tuple[str, int]) -> tuple[int, float, str]:
        # numbers in numeric order, "not stated" last
        key = kv[0]
        return (key == NOT_STATED, float(key) if key.isdigit() else 0.0, key)

    items = sorted(
        counts.items(), key=by_label if order == "label" else (lambda kv: (-kv[1], kv[0]))
    )
    if order != "label" and len(items) > limit:
        rest = sum(v for _, v in items[limit - 1 :])
        items = [*items[: limit - 1], ("other", rest)]
    fig, ax = _figure(max(1.6, 0.3 * len(items) + 0.8))
    labels = [k for k, _ in items][::-1]
    values = [v for _, v in items][::-1]
    ax.barh(labels, values, color=_ACCENT)
    for y, v in enumerate(values):
        ax.text(v, y, f" {v}", va="center", fontsize=8, color=_INK)
    ax.set_title(title, loc="left", fontsize=10)
    ax.set_xlabel("trials")
    ax.tick_params(labelsize=8)
    return _svg(fig)


def enrollment_chart(values: list[int]) -> str:
    fig, ax = _figure()
    if values:
        ax.hist(values, bins=min(20, max(3, len(values))), color=_ACCENT)
    ax.set_title("Planned or actual enrolment per trial", loc="left", fontsize=10)
    ax.set_xlabel("participants")
    ax.set_ylabel("trials")
    return _svg(fig)


def dose_chart(land: Landscape) -> str:
    """Each trial's dose per kg against the guidance band; fixed doses as a span over weights."""
    doses = sorted(land.doses, key=lambda d: (d.low, d.trial_id))
    fig, ax = _figure(max(2.0, 0.22 * len(doses) + 1.0))
    lo, hi = land.band
    ax.axvspan(lo, hi, color="#d7ecd9", label=f"guidance {lo / 1e6:g}–{hi / 1e6:g}×10^6 cells/kg")
    for y, d in enumerate(doses):
        inside = lo <= d.low and d.high <= hi
        color = _ACCENT if inside else _BAD
        if d.fixed:
            ax.plot([d.low, d.high], [y, y], color=color, linewidth=3, solid_capstyle="butt")
        else:
            ax.plot([d.low], [y], "o", color=color, markersize=5)
    ax.set_yticks(range(len(doses)), [d.trial_id for d in doses], fontsize=7)
    ax.set_xscale("log")
    w_lo, w_hi = land.weights_kg
    ax.set_xlabel(f"cells per kg per administration (bars: fixed doses over {w_lo:g}–{w_hi:g} kg)")
    ax.set_title("Dose per kg against the expert guidance", loc="left", fontsize=10)
    ax.legend(loc="lower right", fontsize=7, frameon=False)
    return _svg(fig)


def figures(land: Landscape) -> dict[str, str]:
    """Every figure of the landscape report, by name, as inline SVG."""
    meets = Counter({"meet the guidance": len(land.meeting), "deviate": len(land.deviating)})
    return {
        "country": bar_chart(
            land.by_country, "Trials by country (a multinational trial counts in each)"
        ),
        "start_month": bar_chart(land.by_start_month, "Trials by start month", order="label"),
        "phase": bar_chart(land.by_phase, "Trials by phase"),
        "status": bar_chart(land.by_status, "Trials by recruitment status"),
        "source": bar_chart(land.by_source, "Trials by source of MSCs"),
        "route": bar_chart(land.by_route, "Trials by route"),
        "dose": dose_chart(land),
        "administrations": bar_chart(
            land.by_administrations, "Administrations per patient", order="label"
        ),
        "enrollment": enrollment_chart(land.enrollment),
        "guidance": bar_chart(meets, "Trials meeting the expert guidance"),
        "rules": bar_chart(land.rules_broken, "Guidance rules broken (trials)"),
    }
