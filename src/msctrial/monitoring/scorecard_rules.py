"""The scorecard's item rules: each turns the trial's facts into a status and its evidence. Pure.

A rule says ``info`` when the platform cannot judge its item; evidence names subjects and sites,
never an arm or a lot.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from msctrial.monitoring.scorecard_model import (
    NAMED,
    ItemSpec,
    Status,
    TrialFacts,
    Where,
)


def named(records: Sequence[Where | str]) -> str:
    """At most ``NAMED`` records by name (each once), then how many more."""
    distinct = list(dict.fromkeys(str(r) for r in records))
    shown = ", ".join(distinct[:NAMED])
    more = len(distinct) - NAMED
    return shown + (f" and {more} more" if more > 0 else "")


def proportion_status(value: float, spec: ItemSpec) -> Status:
    """pass/warn/fail of a proportion against the item's limits (inclusive)."""
    pass_at = spec.pass_at if spec.pass_at is not None else (0.0 if spec.lower_is_better else 1.0)
    warn_at = spec.warn_at if spec.warn_at is not None else pass_at
    if spec.lower_is_better:
        return "pass" if value <= pass_at else "warn" if value <= warn_at else "fail"
    return "pass" if value >= pass_at else "warn" if value >= warn_at else "fail"


def _share(
    bad: Sequence[Where], total: int, spec: ItemSpec, what: str, problem: str
) -> tuple[Status, str]:
    """A rule on "n bad among total", stated as the share that is fine or the share of problems."""
    if total == 0:
        return "info", f"no {what} yet"
    share = len(bad) / total
    value = share if spec.lower_is_better else 1 - share
    status = proportion_status(value, spec)
    text = f"{total - len(bad)} of {total} {what} fine ({100 * (1 - share):.1f} %)"
    if bad:
        text += f"; {problem}: {named(bad)}"
    return status, text


Rule = Callable[[TrialFacts, ItemSpec], tuple[Status, str]]


def consent_before_procedures(f: TrialFacts, spec: ItemSpec) -> tuple[Status, str]:
    bad = f.consent_after_procedure + f.procedures_without_consent
    total = f.consented + len(f.procedures_without_consent)
    return _share(bad, total, spec, "subjects", "a procedure before consent")


def consent_current_version(f: TrialFacts, spec: ItemSpec) -> tuple[Status, str]:
    return _share(
        f.consent_superseded,
        f.consented,
        spec,
        "consents",
        "signed on a form version already replaced by a newer one",
    )


def representative_documented(f: TrialFacts, spec: ItemSpec) -> tuple[Status, str]:
    if f.representative_consents == 0:
        return "pass", "no consent was signed by a representative"
    return _share(
        f.representative_unnamed,
        f.representative_consents,
        spec,
        "representative consents",
        "representative's name or relationship missing",
    )


def guidance_findings(f: TrialFacts, spec: ItemSpec) -> tuple[Status, str]:
    if f.guidance_deviations:
        return "fail", "deviations from the expert guidance: " + "; ".join(f.guidance_deviations)
    if f.guidance_advice:
        return "pass", "no deviation; advice: " + "; ".join(f.guidance_advice)
    return "pass", "the design meets every rule of the expert guidance"


def randomised(f: TrialFacts, spec: ItemSpec) -> tuple[Status, str]:
    if f.allocation == "randomised":
        return "pass", "allocation: randomised"
    return "fail", f"allocation: {f.allocation or 'not stated'} (the protocol's design.allocation)"


def double_blind(f: TrialFacts, spec: ItemSpec) -> tuple[Status, str]:
    if f.masking in ("double", "triple", "quadruple"):
        return "pass", f"masking: {f.masking}"
    if f.masking == "single":
        return "warn", "masking: single (the assessor or the patient knows the arm)"
    return "fail", f"masking: {f.masking or 'not stated'} (the protocol's design.masking)"


def control_group(f: TrialFacts, spec: ItemSpec) -> tuple[Status, str]:
    if f.control in ("placebo", "active"):
        return "pass", f"control: {f.control}"
    if f.control == "standard_care":
        return (
            "warn",
            "control: standard care alone (no placebo: the product's effect is unblinded)",
        )
    return "fail", f"control: {f.control or 'not stated'} (the protocol's design.control)"


def sample_size(f: TrialFacts, spec: ItemSpec) -> tuple[Status, str]:
    if f.sample_target is None:
        return "fail", "the protocol states no sample size (sample_size.target)"
    if f.sample_needed is not None:
        if f.sample_target < f.sample_needed:
            return "fail", (
                f"target {f.sample_target} is below the {f.sample_needed} subjects its stated "
                "power assumptions need (sample_size.assumptions)"
            )
        return (
            "pass",
            f"target {f.sample_target} reaches its stated power ({f.sample_needed} needed)",
        )
    if not f.sample_rationale:
        return "warn", f"target {f.sample_target} with no rationale (power, effect, alpha)"
    return "warn", (
        f"target {f.sample_target}: {f.sample_rationale} (no power assumptions stated, so it "
        "cannot be recomputed)"
    )


def released_lots(f: TrialFacts, spec: ItemSpec) -> tuple[Status, str]:
    return _share(
        f.units_not_released,
        f.infused_units,
        spec,
        "infused units",
        "not from a lot released (on its complete specification) and in date at the infusion",
    )


def chain_of_identity(f: TrialFacts, spec: ItemSpec) -> tuple[Status, str]:
    return _share(
        f.identity_breaks,
        f.infusions,
        spec,
        "infusions",
        "scanned units not those dispensed and issued for the subject",
    )


def recall_follow_up(f: TrialFacts, spec: ItemSpec) -> tuple[Status, str]:
    if f.recall_follow_ups == 0:
        return "pass", "no lot given to a subject has been recalled"
    return _share(f.recall_open, f.recall_follow_ups, spec, "recall follow-ups", "still open")


def enrolment(f: TrialFacts, spec: ItemSpec) -> tuple[Status, str]:
    target = f.sample_target
    if not target:
        return "info", f"{f.randomised} randomised; the protocol states no target"
    text = f"{f.randomised} of {target} randomised ({100 * f.randomised / target:.0f} %)"
    if spec.plan_days is None or f.first_randomised is None:
        return "info", text + "; no enrolment plan in the scorecard configuration (plan_days)"
    elapsed = (f.today - f.first_randomised).days + 1
    expected = min(target, target * elapsed / spec.plan_days)
    status = proportion_status(min(f.randomised / expected, 1.0), spec) if expected else "info"
    return status, text + f"; {expected:.0f} planned by day {elapsed} of {spec.plan_days}"


def visits_done(f: TrialFacts, spec: ItemSpec) -> tuple[Status, str]:
    return _share(
        f.visits_missing, f.visits_due, spec, "visits whose window has closed", "not done"
    )


def retention(f: TrialFacts, spec: ItemSpec) -> tuple[Status, str]:
    return _share(
        f.lost_to_follow_up, f.randomised, spec, "randomised subjects", "lost to follow-up"
    )


def _rate(count: int, total: int, spec: ItemSpec, what: str, of: str) -> tuple[Status, str]:
    if total == 0:
        return "info", f"no {of} yet"
    share = count / total
    return proportion_status(
        share, spec
    ), f"{count} {what} among {total} {of} ({100 * share:.1f} %)"


def protocol_deviations(f: TrialFacts, spec: ItemSpec) -> tuple[Status, str]:
    return _rate(f.deviations, f.infusions, spec, "dosing deviations", "infusions")


def important_deviations(f: TrialFacts, spec: ItemSpec) -> tuple[Status, str]:
    return _rate(
        f.important_deviations, f.randomised, spec, "important protocol deviations",
        "randomised subjects",
    )  # fmt: skip


def query_ageing(f: TrialFacts, spec: ItemSpec) -> tuple[Status, str]:
    return _rate(f.delayed_queries, f.queries, spec, "queries took over 30 days", "queries")


def late_data_entry(f: TrialFacts, spec: ItemSpec) -> tuple[Status, str]:
    return _rate(
        f.late_entries, f.entries, spec, "forms entered over 10 days after the visit", "forms"
    )


def sae_reporting(f: TrialFacts, spec: ItemSpec) -> tuple[Status, str]:
    status, text = _rate(
        len(f.late_sae_reports),
        f.sae_reports,
        spec,
        "SAE reports later than 24 h",
        "SAE reports due",
    )
    if f.late_sae_reports:
        text += f": {named(f.late_sae_reports)}"
    return status, text


def primary_endpoint_missing(f: TrialFacts, spec: ItemSpec) -> tuple[Status, str]:
    if not f.primary_endpoints:
        return "info", "the protocol's primary endpoint has no form item to check"
    status, text = _rate(
        len(f.endpoint_missing),
        f.endpoint_due,
        spec,
        "missing",
        f"primary-endpoint values due ({', '.join(f.primary_endpoints)})",
    )
    if f.endpoint_missing:
        text += f": {named(f.endpoint_missing)}"
    return status, text


RULES: dict[str, Rule] = {
    rule.__name__: rule
    for rule in (
        consent_before_procedures,
        consent_current_version,
        representative_documented,
        guidance_findings,
        randomised,
        double_blind,
        control_group,
        sample_size,
        released_lots,
        chain_of_identity,
        recall_follow_up,
        enrolment,
        visits_done,
        retention,
        protocol_deviations,
        important_deviations,
        query_ageing,
        late_data_entry,
        sae_reporting,
        primary_endpoint_missing,
    )
}


def unit_release_problem(
    expires_on: dt.date,
    signatures: Sequence[tuple[str, dt.datetime]],
    infused_at: dt.datetime,
    infused_on: dt.date,
) -> str | None:
    """Why a unit's lot was not fit to give at the infusion, or None when it was.

    Fit means: released (a release signature, which needs every test of the lot's specification,
    product.service) before the infusion, not rejected or recalled since, and in date.
    """
    before = sorted((at, action) for action, at in signatures if at <= infused_at)
    state = before[-1][1] if before else None
    if state != "release":
        return "not released" if state is None else f"lot {state}ed"
    if infused_on > expires_on:
        return "lot expired"
    return None
