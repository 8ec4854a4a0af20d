"""Adverse events: CTCAE v5 grade, ICH E2A seriousness, causality, expectedness, SAE clocks.

Pure. ``AdverseEventInput`` is what a site reports; its validators hold the rules that tie the
fields together (grade 5 is death, a fatal outcome needs the death criterion, an ended event
has an end date no earlier than its onset). Severity and seriousness are separate questions
(CLINICAL_FACTS §6.2: "severe" is intensity, "serious" is outcome and drives reporting).

Reporting clocks (CLINICAL_FACTS §6.2):
- every serious AE: investigator → sponsor within 24 h of the investigator's awareness;
- a SUSAR (serious, related, unexpected): sponsor → regulators, day 0 being the sponsor's first
  knowledge; fatal or life-threatening: within 7 calendar days, complete report within 8 more
  (day 15); any other SUSAR: within 15 calendar days.
"Related" means a reasonable possibility of a causal link (possible, probable, definite) to the
cell product or to its infusion: the vehicle and the infusion are part of the investigational
treatment, so a reaction to either is an adverse reaction (ICH E2A).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from msctrial.core.errors import InvalidInput
from msctrial.core.validation import explain

# CTCAE v5.0 general grades (CLINICAL_FACTS §6.1).
GRADE_MEANING = {
    1: "mild",
    2: "moderate",
    3: "severe or medically significant; hospitalisation",
    4: "life-threatening",
    5: "death related to the AE",
}


class Seriousness(StrEnum):
    """ICH E2A seriousness criteria (CLINICAL_FACTS §6.2)."""

    death = "death"
    life_threatening = "life_threatening"
    hospitalisation = "hospitalisation"  # inpatient, or prolonged existing hospitalisation
    disability = "disability"  # persistent or significant disability or incapacity
    congenital_anomaly = "congenital_anomaly"
    important_medical_event = "important_medical_event"  # medical judgement


class Relationship(StrEnum):
    not_related = "not_related"
    unlikely = "unlikely"
    possible = "possible"
    probable = "probable"
    definite = "definite"

    @property
    def related(self) -> bool:
        return self in (Relationship.possible, Relationship.probable, Relationship.definite)


class Expectedness(StrEnum):
    """Against the reference safety information (investigator's brochure)."""

    expected = "expected"
    unexpected = "unexpected"


class ActionTaken(StrEnum):
    """With the investigational treatment (CDISC AEACN terms)."""

    dose_not_changed = "dose_not_changed"
    infusion_interrupted = "infusion_interrupted"
    treatment_withdrawn = "treatment_withdrawn"
    not_applicable = "not_applicable"
    unknown = "unknown"


class Outcome(StrEnum):
    """CDISC AEOUT terms."""

    recovered = "recovered"
    recovering = "recovering"
    not_recovered = "not_recovered"
    recovered_with_sequelae = "recovered_with_sequelae"
    fatal = "fatal"
    unknown = "unknown"


@dataclass(frozen=True)
class ExpectedReaction:
    key: str
    term: str  # the CTCAE v5 term it is reported under
    question: str


# The systemic and local reactions the expert guidance asks to follow after every infusion
# (DOMAIN §4, CLINICAL_FACTS §7), mapped to CTCAE terms (§6.1; "Injection site reaction" is
# CTCAE v5's term for a local reaction at the site, from memory: M).
EXPECTED_REACTIONS = (
    ExpectedReaction("fever", "Fever", "Fever (≥ 38.0 °C) after the infusion?"),
    ExpectedReaction("chills", "Chills", "Chills or rigors?"),
    ExpectedReaction("allergic_reaction", "Allergic reaction", "Allergic reaction?"),
    ExpectedReaction(
        "local_inflammation", "Injection site reaction", "Inflammation at the infusion site?"
    ),
)


REACTION_KEYS = tuple(r.key for r in EXPECTED_REACTIONS)


# CTCAE v5 fever (CLINICAL_FACTS §6.1): 38.0-39.0 °C grade 1, >39.0-40.0 grade 2, >40.0 °C for
# ≤ 24 h grade 3, > 24 h grade 4.
FEVER_C = 38.0


FEVER_G2_ABOVE_C = 39.0


FEVER_G3_ABOVE_C = 40.0


FEVER_G4_HOURS = 24.0


def fever_grade(max_temperature_c: float, hours_above_40: float = 0.0) -> int | None:
    """CTCAE v5 grade of a fever from its maximum temperature; None below 38.0 °C."""
    if max_temperature_c < FEVER_C:
        return None
    if max_temperature_c <= FEVER_G2_ABOVE_C:
        return 1
    if max_temperature_c <= FEVER_G3_ABOVE_C:
        return 2
    return 4 if hours_above_40 > FEVER_G4_HOURS else 3


# The investigator's judgements of an event. None has a default: grade 1, *not related*,
# *expected* would hide a reportable event (issue 9, hole 7), so each must be chosen.
CHOSEN_BY_THE_INVESTIGATOR = {
    "grade": "choose the CTCAE v5 grade (1-5)",
    "relationship_product": "choose the relationship to the cell product (not related … definite)",
    "relationship_infusion": "choose the relationship to the infusion (not related … definite)",
    "expectedness": "choose expected or unexpected, against the investigator's brochure",
}


def unchosen_judgements(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field, what to do) for each judgement left out or blank; it is never defaulted."""
    return [
        (name, todo)
        for name, todo in CHOSEN_BY_THE_INVESTIGATOR.items()
        if data.get(name) is None or str(data.get(name)).strip() == ""
    ]


class AdverseEventInput(BaseModel):
    """An adverse event as the site reports (or corrects) it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    term: str = Field(min_length=2, max_length=200, description="e.g. a CTCAE v5 term")
    description: str | None = Field(default=None, max_length=4000)
    onset_date: dt.date
    end_date: dt.date | None = None
    grade: int = Field(ge=1, le=5, description="CTCAE v5 grade 1-5")
    seriousness: list[Seriousness] = Field(
        default_factory=list, description="ICH E2A criteria; none means not serious"
    )
    relationship_product: Relationship
    relationship_infusion: Relationship
    expectedness: Expectedness
    action_taken: ActionTaken = ActionTaken.not_applicable
    outcome: Outcome
    awareness_at: dt.datetime | None = Field(
        default=None, description="when the investigator learnt of it (UTC); default: now"
    )

    @field_validator("seriousness")
    @classmethod
    def _unique(cls, v: list[Seriousness]) -> list[Seriousness]:
        return sorted(set(v), key=list(Seriousness).index)

    @field_validator("awareness_at")
    @classmethod
    def _aware(cls, v: dt.datetime | None) -> dt.datetime | None:
        if v is not None and v.tzinfo is None:
            raise ValueError("give the time zone, e.g. 2026-03-01T08:00:00+08:00 or Z for UTC")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.end_date is not None and self.end_date < self.onset_date:
            raise ValueError("end_date: the event cannot end before its onset")
        if (
            self.awareness_at is not None
            and self.awareness_at.date() < self.onset_date - dt.timedelta(days=1)
        ):
            raise ValueError(
                "awareness_at: the investigator cannot learn of an event before it began"
            )
        fatal = self.outcome is Outcome.fatal
        if fatal != (self.grade == 5):
            raise ValueError(
                "grade: CTCAE grade 5 is death, so it goes with the outcome fatal and only with it"
            )
        if fatal and Seriousness.death not in self.seriousness:
            raise ValueError(
                "seriousness: a fatal event is serious by the criterion death (ICH E2A)"
            )
        if Seriousness.death in self.seriousness and not fatal:
            raise ValueError("outcome: the criterion death needs the outcome fatal")
        ended = self.outcome in (Outcome.recovered, Outcome.recovered_with_sequelae, Outcome.fatal)
        if ended and self.end_date is None:
            raise ValueError(
                f"end_date: an event with the outcome {self.outcome.value} has an end date"
            )
        if not ended and self.end_date is not None and self.outcome is not Outcome.unknown:
            raise ValueError(
                f"outcome: an event that ended on {self.end_date} is not {self.outcome.value}"
            )
        return self

    @property
    def serious(self) -> bool:
        return bool(self.seriousness)

    @property
    def related(self) -> bool:
        return self.relationship_product.related or self.relationship_infusion.related

    @property
    def susar(self) -> bool:
        return is_susar(self.serious, self.related, self.expectedness)


def is_susar(serious: bool, related: bool, expectedness: Expectedness | str) -> bool:
    """Suspected unexpected serious adverse reaction (ICH E2A)."""
    return serious and related and Expectedness(expectedness) is Expectedness.unexpected


def fatal_or_life_threatening(criteria: list[str] | list[Seriousness]) -> bool:
    names = {Seriousness(c) for c in criteria}
    return bool(names & {Seriousness.death, Seriousness.life_threatening})


class ReportKind(StrEnum):
    sponsor_initial = "sponsor_initial"
    susar_initial = "susar_initial"
    susar_complete = "susar_complete"
    susar = "susar"


REPORT_LABELS = {
    ReportKind.sponsor_initial: "SAE report to the sponsor (24 h)",
    ReportKind.susar_initial: "SUSAR, fatal or life-threatening: initial report (7 days)",
    ReportKind.susar_complete: "SUSAR, fatal or life-threatening: complete report (8 more days)",
    ReportKind.susar: "SUSAR report to the regulators (15 days)",
}


# Who files each report: the site's investigator to the sponsor; the sponsor's
# pharmacovigilance (the ``safety`` role, unblinded for the case it assessed) to the regulators.
REPORT_FILERS = {
    ReportKind.sponsor_initial: ("investigator", "coordinator"),
    ReportKind.susar_initial: ("safety",),
    ReportKind.susar_complete: ("safety",),
    ReportKind.susar: ("safety",),
}


# --- the sponsor's assessment of a suspected SUSAR ----------------------------------------
# A serious, related, unexpected event is a *suspected* SUSAR: the sponsor's safety officer
# breaks the blind of that one case. On the investigational product it is a SUSAR and is
# reported; on placebo it is not (no adverse reaction to the investigational product), and its
# regulatory clock stops with that reason. The investigator and blinded staff keep the blind:
# they learn only that the assessment is complete.


class AssessmentState(StrEnum):
    pending = "pending"
    complete = "complete"


ASSESSMENT_LABELS = {
    AssessmentState.pending: "sponsor assessment pending",
    AssessmentState.complete: "sponsor assessment complete",
}


class SusarConclusion(StrEnum):
    susar = "susar"
    not_susar_placebo = "not_susar_placebo"
    not_susar_untreated = "not_susar_untreated"

    @property
    def reportable(self) -> bool:
        return self is SusarConclusion.susar


CONCLUSION_LABELS = {
    SusarConclusion.susar: "SUSAR: the subject received the investigational product; report it",
    SusarConclusion.not_susar_placebo: "not a SUSAR: the subject received placebo",
    SusarConclusion.not_susar_untreated: "not a SUSAR: the subject was not randomised",
}


def susar_conclusion(product: str | None) -> SusarConclusion:
    """What the unblinded case is: ``product`` is the arm's product kind (cells, placebo), or
    None for a subject never randomised."""
    if product is None:
        return SusarConclusion.not_susar_untreated
    return SusarConclusion.not_susar_placebo if product == "placebo" else SusarConclusion.susar


# Who is told what when the sponsor unblinds a case: shown before the safety officer signs.
ASSESSMENT_TOLD = (
    "you see this subject's arm and the conclusion, on the next page",
    "the investigator, the site and the sponsor's blinded staff see only "
    "'sponsor assessment complete', never the arm or the conclusion",
    "the DSMB sees the conclusion in its unblinded summary",
)


# CLINICAL_FACTS §6.2.
SPONSOR_DEADLINE = dt.timedelta(hours=24)


SUSAR_FATAL_DAYS = 7


SUSAR_FATAL_COMPLETE_DAYS = 7 + 8


SUSAR_OTHER_DAYS = 15


def sponsor_deadline(awareness_at: dt.datetime) -> dt.datetime:
    """The investigator's SAE report is due 24 h after they learnt of the event."""
    return awareness_at + SPONSOR_DEADLINE


def susar_deadlines(sponsor_day0: dt.datetime, fatal_or_lt: bool) -> dict[ReportKind, dt.datetime]:
    """The expedited reports of a SUSAR, from the sponsor's first knowledge (day 0)."""
    if fatal_or_lt:
        return {
            ReportKind.susar_initial: sponsor_day0 + dt.timedelta(days=SUSAR_FATAL_DAYS),
            ReportKind.susar_complete: sponsor_day0 + dt.timedelta(days=SUSAR_FATAL_COMPLETE_DAYS),
        }
    return {ReportKind.susar: sponsor_day0 + dt.timedelta(days=SUSAR_OTHER_DAYS)}


class ClockState(StrEnum):
    due = "due"
    overdue = "overdue"
    submitted = "submitted"
    submitted_late = "submitted_late"
    stopped = "stopped"  # the sponsor found the case is not a SUSAR


def clock_state(
    due_at: dt.datetime,
    submitted_at: dt.datetime | None,
    now: dt.datetime,
    stopped_at: dt.datetime | None = None,
) -> ClockState:
    if stopped_at is not None and submitted_at is None:
        return ClockState.stopped
    if submitted_at is not None:
        return ClockState.submitted if submitted_at <= due_at else ClockState.submitted_late
    return ClockState.overdue if now > due_at else ClockState.due


def parse_ae(data: AdverseEventInput | Mapping[str, Any]) -> AdverseEventInput:
    """An adverse event from a form or JSON; every judgement left unchosen is named."""
    if isinstance(data, AdverseEventInput):
        return data
    unchosen = unchosen_judgements(data)
    if unchosen:
        raise InvalidInput(
            "; ".join(f"{name}: {todo}" for name, todo in unchosen),
            field=unchosen[0][0],
            problems=[{"field": name, "message": todo} for name, todo in unchosen],
        )
    try:
        return AdverseEventInput.model_validate(data)
    except ValidationError as exc:
        raise explain(exc) from None
