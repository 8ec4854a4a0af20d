"""The five-part quality scorecard: rules on the facts a trial holds, weights from YAML. Pure.

The parts are the seed's, in its order (DOMAIN.md §5): ethics compliance, scientific design,
the stem cell product, execution progress, execution quality. ``facts`` gathers what the
platform holds into ``TrialFacts``; each item's rule here turns them into a status (pass, warn,
fail, or info when the platform cannot judge it) and evidence that says what and where.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from msctrial.core.errors import InvalidInput
from msctrial.core.validation import explain, parse_yaml, read_text

PARTS = (
    "ethics_compliance",
    "scientific_design",
    "stem_cell_product",
    "execution_progress",
    "execution_quality",
)
Status = Literal["pass", "warn", "fail", "info"]
MARKS = {"pass": 1.0, "warn": 0.5, "fail": 0.0}
# How many subjects, visits or infusions an item's evidence names before it says "and N more".
NAMED = 8


# --- the facts a trial holds (gathered by monitoring.facts) -----------------------------------


@dataclass(frozen=True)
class Where:
    """A record an item points at: its subject (or record) and site."""

    what: str
    site: str

    def __str__(self) -> str:
        return f"{self.what} ({self.site})"


@dataclass
class TrialFacts:
    """What the scorecard judges; every list names the records behind a count."""

    today: dt.date
    # ethics
    consented: int = 0
    consent_after_procedure: list[Where] = field(default_factory=list)
    procedures_without_consent: list[Where] = field(default_factory=list)
    consent_superseded: list[Where] = field(default_factory=list)
    representative_consents: int = 0
    representative_unnamed: list[Where] = field(default_factory=list)
    # design
    allocation: str | None = None
    masking: str | None = None
    control: str | None = None
    sample_target: int | None = None
    sample_rationale: str | None = None
    guidance_deviations: list[str] = field(default_factory=list)
    guidance_advice: list[str] = field(default_factory=list)
    # product
    infused_units: int = 0
    units_not_released: list[Where] = field(default_factory=list)
    infusions: int = 0
    identity_breaks: list[Where] = field(default_factory=list)
    recall_follow_ups: int = 0
    recall_open: list[Where] = field(default_factory=list)
    # progress
    randomised: int = 0
    first_randomised: dt.date | None = None
    visits_due: int = 0
    visits_missing: list[Where] = field(default_factory=list)
    lost_to_follow_up: list[Where] = field(default_factory=list)
    # quality
    deviations: int = 0
    delayed_queries: int = 0
    queries: int = 0
    late_entries: int = 0
    entries: int = 0
    late_sae_reports: list[Where] = field(default_factory=list)
    sae_reports: int = 0
    endpoint_due: int = 0
    endpoint_missing: list[Where] = field(default_factory=list)
    primary_endpoints: list[str] = field(default_factory=list)


# --- the configuration --------------------------------------------------------------------


class ItemSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item: str
    weight: float = Field(gt=0)
    source: str = Field(min_length=1)
    pass_at: float | None = Field(default=None, ge=0, le=1)
    warn_at: float | None = Field(default=None, ge=0, le=1)
    lower_is_better: bool = False
    plan_days: int | None = Field(default=None, ge=1, le=3650)

    @model_validator(mode="after")
    def _limits(self) -> ItemSpec:
        if self.pass_at is not None and self.warn_at is not None:
            ordered = (
                self.pass_at <= self.warn_at
                if self.lower_is_better
                else self.warn_at <= self.pass_at
            )
            if not ordered:
                raise ValueError("warn_at must lie on the failing side of pass_at")
        return self


class PartSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    part: Literal[PARTS]  # type: ignore[valid-type]
    items: list[ItemSpec] = Field(min_length=1)


class ScorecardConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    parts: list[PartSpec]
    endpoint_items: dict[str, tuple[str, str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _order(self) -> ScorecardConfig:
        if [p.part for p in self.parts] != list(PARTS):
            raise ValueError(f"parts must be the five, in the seed's order: {', '.join(PARTS)}")
        for part in self.parts:
            unknown = [i.item for i in part.items if i.item not in RULES]
            if unknown:
                raise ValueError(f"unknown items {unknown}; known: {', '.join(sorted(RULES))}")
        return self


def load_scorecard_text(text: str, what: str = "scorecard") -> ScorecardConfig:
    data = parse_yaml(text, what)
    if not isinstance(data, dict):
        raise InvalidInput(f"{what}: expected a mapping with `parts`", field="scorecard")
    try:
        return ScorecardConfig.model_validate(data)
    except ValidationError as exc:
        raise explain(exc, ScorecardConfig, prefix="scorecard") from None


@functools.cache
def default_scorecard() -> ScorecardConfig:
    text = resources.files("msctrial.monitoring").joinpath("scorecard.yaml").read_text("utf-8")
    return load_scorecard_text(text, "scorecard.yaml")


def load_scorecard(path: Path | None) -> ScorecardConfig:
    if path is None:
        return default_scorecard()
    return load_scorecard_text(read_text(path, "scorecard"), "scorecard")


# --- the results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemResult:
    item: str
    status: Status
    evidence: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "status": self.status,
            "evidence": self.evidence,
            "source": self.source,
        }


@dataclass(frozen=True)
class PartResult:
    part: str
    score: float | None
    items: list[ItemResult]

    def to_dict(self) -> dict[str, Any]:
        return {
            "part": self.part,
            "score": self.score,
            "items": [i.to_dict() for i in self.items],
        }


@dataclass(frozen=True)
class Scorecard:
    parts: list[PartResult]

    def to_dict(self) -> dict[str, Any]:
        return {"parts": [p.to_dict() for p in self.parts]}


def part_score(items: Sequence[ItemResult], specs: Sequence[ItemSpec]) -> float | None:
    """100 × Σ weight × marks / Σ weight over the scored (not info) items."""
    weight = {s.item: s.weight for s in specs}
    scored = [(weight[i.item], MARKS[i.status]) for i in items if i.status in MARKS]
    total = sum(w for w, _ in scored)
    return round(100.0 * sum(w * m for w, m in scored) / total, 1) if total else None


def score_trial(facts: TrialFacts, config: ScorecardConfig | None = None) -> Scorecard:
    config = config or default_scorecard()
    parts = []
    for part in config.parts:
        items = []
        for spec in part.items:
            status, evidence = RULES[spec.item](facts, spec)
            items.append(ItemResult(spec.item, status, evidence, spec.source))
        parts.append(PartResult(part.part, part_score(items, part.items), items))
    return Scorecard(parts)


# --- the rules -----------------------------------------------------------------------------


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
    if not f.sample_rationale:
        return "warn", f"target {f.sample_target} with no rationale (power, effect, alpha)"
    return "pass", f"target {f.sample_target}: {f.sample_rationale}"


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
