"""The registry survey's data: a study record in one shape, whatever format it came in, and
the design extracted from it.

``Study`` is what every reader (API v2, legacy full_studies JSON, classic XML) produces, with
API v2 names and enumerations, so the extractor reads one shape. ``ExtractedDesign`` is the
output contract of ``msctrial registry extract --json``: every field the record does not state
stays ``None`` (never guessed), and every field that was extracted names, in ``evidence``, the
text it came from.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from msctrial.protocol.model import Phase


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ArmGroup(Frozen):
    label: str
    type: str | None = None  # EXPERIMENTAL, PLACEBO_COMPARATOR, ... (API v2 enumeration)
    description: str | None = None
    intervention_names: list[str] = Field(default_factory=list)  # "Biological: UC-MSCs"


class Intervention(Frozen):
    type: str | None = None  # BIOLOGICAL, DRUG, ... (API v2 enumeration)
    name: str
    description: str | None = None
    arm_group_labels: list[str] = Field(default_factory=list)
    other_names: list[str] = Field(default_factory=list)


class Outcome(Frozen):
    measure: str
    description: str | None = None
    time_frame: str | None = None


class Study(Frozen):
    """One registry record, normalised to API v2 names; absent fields are None or empty."""

    nct_id: str
    source_format: Literal["api_v2", "legacy_full_studies", "classic_xml"]
    brief_title: str | None = None
    official_title: str | None = None
    organization: str | None = None
    lead_sponsor: str | None = None
    responsible_party: str | None = None  # the responsible investigator's affiliation
    overall_status: str | None = None
    start_date: str | None = None  # ISO: yyyy, yyyy-mm or yyyy-mm-dd
    data_version: str | None = None  # when the registry produced this record
    study_type: str | None = None  # INTERVENTIONAL, OBSERVATIONAL, EXPANDED_ACCESS
    phases: list[Phase] = Field(default_factory=list)
    allocation: str | None = None  # RANDOMIZED, NON_RANDOMIZED, NA
    intervention_model: str | None = None
    intervention_model_description: str | None = None
    masking: str | None = None  # NONE, SINGLE, DOUBLE, TRIPLE, QUADRUPLE
    enrollment: int | None = None
    conditions: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    brief_summary: str | None = None
    detailed_description: str | None = None
    arms: list[ArmGroup] = Field(default_factory=list)
    interventions: list[Intervention] = Field(default_factory=list)
    primary_outcomes: list[Outcome] = Field(default_factory=list)
    secondary_outcomes: list[Outcome] = Field(default_factory=list)
    eligibility_criteria: str | None = None
    minimum_age: str | None = None
    maximum_age: str | None = None
    countries: list[str] = Field(default_factory=list)

    @property
    def title(self) -> str:
        return self.brief_title or self.official_title or self.nct_id

    @property
    def institution(self) -> str | None:
        """The responsible institution, as the seed's Table 1 names it."""
        return self.responsible_party or self.lead_sponsor or self.organization


ProductType = Literal["cells", "extracellular_vesicles", "secretome"]
CellSource = Literal[
    "umbilical_cord",
    "wharton_jelly",
    "bone_marrow",
    "adipose",
    "dental_pulp",
    "placenta",
    "menstrual_blood",
    "olfactory_mucosa",
    "cord_blood",
    "amniotic",
    "unspecified",
]
DonorKind = Literal["allogeneic", "autologous"]
DoseUnitText = Literal["cells/kg", "cells", "particles"]
RouteKind = Literal[
    "intravenous", "inhalation", "intratracheal", "intramuscular", "intranasal", "other"
]


class Evidence(Frozen):
    """Where a value was read: the record's field (API v2 path) and the sentence itself."""

    source: str
    text: str


class DoseLevel(Frozen):
    value: float
    unit: DoseUnitText
    max: float | None = None  # the upper end when the record gives a range


class PrimaryOutcome(Frozen):
    measure: str
    time_frame: str | None = None
    category: str | None = None  # the guidance's measure (protocol.model.Measure) or None


class FindingOut(Frozen):
    rule: str
    level: Literal["deviation", "advice"]
    message: str
    field: str
    source: str


class ExtractedDesign(Frozen):
    """The contract of ``msctrial registry extract --json``: one object per study."""

    nct_id: str
    is_msc_trial: bool
    product_type: ProductType | None = None
    cell_source: CellSource | None = None
    donor: DonorKind | None = None
    dose_value: float | None = None
    dose_unit: DoseUnitText | None = None
    dose_levels: list[DoseLevel] = Field(default_factory=list)
    administrations: int | None = None
    schedule_days: list[int] | None = None
    min_interval_days: int | None = None
    route: RouteKind | None = None
    phases: list[Phase] = Field(default_factory=list)
    enrollment: int | None = None
    countries: list[str] = Field(default_factory=list)
    primary_outcomes: list[PrimaryOutcome] = Field(default_factory=list)
    evidence: dict[str, Evidence] = Field(default_factory=dict)
    findings: list[FindingOut] = Field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class Problem(Frozen):
    """A record that could not be read: skipped, counted and reported, never fatal."""

    file: str
    reason: str


class LoadReport(Frozen):
    studies_read: int = 0
    msc_trials: int = 0
    stored: int = 0
    skipped: int = 0
    problems: list[Problem] = Field(default_factory=list)
    problems_total: int = 0

    @property
    def malformed(self) -> int:
        return self.problems_total
