"""The statistical report: one HTML page with SVG figures, blinded unless asked and allowed.

A blinded report pools every subject and names no arm anywhere (figures, tables, file). The
unblinded one is for the DSMB's closed session; it needs a reader the casebook gives arms to.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from importlib import resources

import jinja2
import pandas as pd
from sqlalchemy.orm import Session

from msctrial.analysis import biomarkers as biomarker_rules
from msctrial.analysis import endpoints as endpoint_rules
from msctrial.analysis.biomarkers import MARKERS, trajectory, trajectory_html
from msctrial.analysis.consort import consort_flow
from msctrial.analysis.dataset import two_arms
from msctrial.analysis.descriptive import ae_incidence, baseline_table
from msctrial.analysis.repeated import RepeatedResult
from msctrial.analysis.result import Result
from msctrial.analysis.subgroups import subgroup_hazard_ratios
from msctrial.analysis.survival import SurvivalComparison
from msctrial.analysis.trial import compare_arms, pooled_summary, trial_endpoints
from msctrial.analysis.trial_data import adverse_events
from msctrial.core.actors import Actor
from msctrial.core.errors import PermissionDenied
from msctrial.protocol.design import efficacy_bounds

TITLES = {
    "ttci": "Time to clinical improvement (log-rank, Cox)",
    "mortality_28": "28-day all-cause mortality (stratified by severity)",
    "who_day_14": "WHO clinical progression scale at day 14 (proportional odds)",
    "who_day_28": "WHO clinical progression scale at day 28 (proportional odds)",
}


def _environment() -> jinja2.Environment:
    loader = jinja2.FunctionLoader(
        lambda name: (
            resources.files("msctrial.analysis")
            .joinpath("templates", name)
            .read_text(encoding="utf-8")
        )
    )
    return jinja2.Environment(loader=loader, autoescape=True)


def _comparison_html(result: Result | str) -> str:
    if isinstance(result, str):
        return f"<p>not estimable yet: {html.escape(result)}</p>"
    return result.to_html()


def _mmrm_title(result: Result | str) -> str:
    """The P/F MMRM's heading names the model and its covariance structure."""
    covariance = result.covariance if isinstance(result, RepeatedResult) else "unstructured"
    return (
        f"P/F change over visits (MMRM, {covariance} covariance, REML, Satterthwaite df; "
        "adjusted for baseline P/F and severity)"
    )


def _marker_titles() -> dict[str, str]:
    """Each biomarker MMRM's heading: the marker, its scale and the model."""
    return {
        f"{m.key}_mmrm": (
            f"{m.label}: {'log ratio to' if m.log_scale else 'change from'} baseline over visits "
            f"(MMRM, unstructured covariance, REML, Satterthwaite df; adjusted for "
            f"{'log ' if m.log_scale else ''}baseline and severity)"
        )
        for m in MARKERS
    }


def _trajectories(endpoints: pd.DataFrame, by_arm: bool) -> list[tuple[str, str, str]]:
    """(title, figure, table) per biomarker with values: pooled, or by arm for the DSMB."""
    from msctrial.analysis import figures

    out = []
    for marker in MARKERS:
        if not any(c.startswith(marker.prefix) for c in endpoints.columns):
            continue
        table = trajectory(endpoints, marker, group="arm" if by_arm else None)
        out.append((marker.measure, figures.marker_trajectory(table, marker),
                    trajectory_html(table, marker)))  # fmt: skip
    return out


def _observed_z(result: Result | str, planned_events: int | None) -> tuple[float, float] | None:
    """(information fraction, z) of the improvement log-rank test: events over the planned
    events, and the signed root of the chi-square (positive when the other arm improves
    faster)."""
    if isinstance(result, str) or not planned_events or not isinstance(result, SurvivalComparison):
        return None
    z = math.copysign(math.sqrt(result.logrank_chi2), math.log(result.hazard_ratio))
    return min(result.events / planned_events, 1.0), z


def trial_report(
    session: Session, actor: Actor, *, unblinded: bool = False, reference: str | None = None,
    now: dt.datetime | None = None, looks: list[float] | None = None,
    planned_events: int | None = None, fragment: bool = False,
) -> str:  # fmt: skip
    """The report's HTML. ``unblinded`` needs a reader who may see arms (the DSMB). With
    ``looks``, the interim efficacy bounds (O'Brien-Fleming-type spending, one-sided 0.025), and
    for the DSMB the observed z of time to improvement at ``planned_events``' information.
    ``fragment``: the report's body alone, for a page that has its own layout (the web's)."""
    context = _report_context(session, actor, unblinded=unblinded, reference=reference, now=now,
                              looks=looks, planned_events=planned_events)  # fmt: skip
    name = "report_body.html" if fragment else "report.html"
    return _environment().get_template(name).render(**context)


def _report_context(
    session: Session, actor: Actor, *, unblinded: bool, reference: str | None,
    now: dt.datetime | None, looks: list[float] | None, planned_events: int | None,
) -> dict[str, object]:  # fmt: skip
    """Everything the report's template shows, computed once."""
    from msctrial.analysis import figures

    endpoints = trial_endpoints(session, actor)
    if unblinded and "arm" not in endpoints.columns:
        raise PermissionDenied(
            "report: the unblinded report is for the DSMB; you get the blinded one without "
            "--unblinded",
            field="unblinded",
        )
    if not unblinded:
        endpoints = endpoints.drop(columns=["arm"], errors="ignore")
    elif reference is not None:
        two_arms(endpoints["arm"].astype(str), "arm", reference)  # an unknown arm: exit 2
    pooled = {"n": len(endpoints), **pooled_summary(endpoints)}
    comparisons = []
    forest_svg = ""
    results = compare_arms(endpoints, reference) if unblinded else {}
    boundaries_svg = ""
    if looks:
        observed = _observed_z(results.get("ttci", ""), planned_events) if unblinded else None
        boundaries_svg = figures.boundaries_plot(efficacy_bounds(looks), observed)
    if unblinded:
        table = subgroup_hazard_ratios(endpoints, year=(now or dt.datetime.now(dt.UTC)).year,
                                       reference=reference)  # fmt: skip
        forest_svg = figures.forest(table, "Time to clinical improvement by subgroup")
        for name, result in results.items():
            title = TITLES.get(name, f"P/F change at {name.removeprefix('pf_change_')} (ANCOVA)")
            if name == "pf_mmrm":
                title = _mmrm_title(result)
            title = _marker_titles().get(name, title)
            comparisons.append((title, _comparison_html(result)))
    now = now or dt.datetime.now(dt.UTC)
    when = now.strftime("%Y-%m-%d %H:%M UTC")
    people = endpoints.reset_index()
    baseline = baseline_table(people, now.year).to_html()
    safety = ae_incidence(adverse_events(session, actor), people).to_html()
    return dict(
        title="Statistical report" + (" (unblinded)" if unblinded else ""),
        generated=when,
        reader=actor.audit_name,
        blinded=not unblinded,
        pooled=pooled,
        consort_svg=figures.consort_diagram(consort_flow(session, actor, unblinded=unblinded)),
        improvement_svg=figures.improvement_curve(endpoints),
        pf_svg=figures.change_by_visit(endpoints, "pf_change_", "P/F change from day 0 (mmHg)"),
        trajectories=_trajectories(endpoints, by_arm=unblinded),
        markers_doc=(biomarker_rules.__doc__ or "").strip(),
        comparisons=comparisons,
        forest_svg=forest_svg,
        boundaries_svg=boundaries_svg,
        ordinal_svg=figures.ordinal_bars(endpoints, ["who_day_14", "who_day_28"]),
        baseline_html=baseline,
        ae_html=safety,
        definitions=(endpoint_rules.__doc__ or "").strip(),
    )
