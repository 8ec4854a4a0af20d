"""The scorecard's vocabulary: its parts, the facts a trial holds, the items' YAML. Pure.

``scorecard`` scores a trial with the rules in ``scorecard_rules``; ``facts`` fills
``TrialFacts`` from the platform's tables.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

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
    # Subjects the protocol's stated power assumptions need (protocol.guidance_planning).
    sample_needed: int | None = None
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
    # Important protocol deviations of every kind (the KRI IPD's numerator, trial-wide).
    important_deviations: int = 0
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
