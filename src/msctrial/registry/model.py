"""The registry survey's data: a study record in one shape, whatever format it came in, and
the design extracted from it.

``Study`` is what every reader (API v2, legacy full_studies JSON, classic XML, the WHO ICTRP
exports, ChiCTR's own XML) produces, with API v2 names and enumerations, so the extractor reads
one shape; ``trial_id`` is the id the record's own registry gave it (``NCT04252118``,
``ChiCTR2000029990``), and ``linked_ids`` the ids of the same trial on other registries. ``ExtractedDesign`` is the
output contract of ``msctrial registry extract --json``: every field the record does not state
stays ``None`` (never guessed), and every field that was extracted names, in ``evidence``, the
text it came from.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from msctrial.protocol.terms import Phase


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


class Evidence(Frozen):
    """Where a value was read: the record's field (API v2 path) and the sentence itself."""

    source: str
    text: str


SourceFormat = Literal[
    "api_v2", "legacy_full_studies", "classic_xml", "ictrp_xlsx", "ictrp_csv", "ictrp_xml",
    "chictr_xml",
]  # fmt: skip
CTGOV = "ClinicalTrials.gov"


class Study(Frozen):
    """One registry record, normalised to API v2 names; absent fields are None or empty."""

    # records stored before trial_id was named so carry ``nct_id``
    trial_id: str = Field(validation_alias=AliasChoices("trial_id", "nct_id"))
    source_format: SourceFormat
    registry: str = CTGOV  # the register that holds the record ("ChiCTR", "IRCT", ...)
    registered_on: str | None = None  # ISO date the trial was registered (first submitted)
    url: str | None = None  # the record on its own registry
    linked_ids: list[str] = Field(default_factory=list)  # the same trial on other registries
    bridged: str | None = None  # ICTRP's bridging: "parent" or "child"
    cancelled: bool = False  # withdrawn by the investigator before it ran (ChiCTR)
    # For records read from a register's short fields (ICTRP, ChiCTR): the field and text each
    # normalised value came from (enrollment ← "Target size: Experimental group:30;...").
    stated: dict[str, Evidence] = Field(default_factory=dict)
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
        return self.brief_title or self.official_title or self.trial_id

    @property
    def nct_id(self) -> str | None:
        """The trial's ClinicalTrials.gov id: its own, or one its record links to."""
        if self.trial_id.startswith("NCT"):
            return self.trial_id
        return next((i for i in self.linked_ids if i.startswith("NCT")), None)

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
    """The contract of ``msctrial registry extract --json``: one object per study.

    ``trial_id`` is the record's own id on ``registry``; ``nct_id`` the trial's
    ClinicalTrials.gov id where it has one (its own or a linked one), else None."""

    trial_id: str
    registry: str = CTGOV
    nct_id: str | None = None
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
    combined_with: list[str] = Field(default_factory=list)  # other active agents in MSC arms
    phases: list[Phase] = Field(default_factory=list)
    enrollment: int | None = None
    countries: list[str] = Field(default_factory=list)
    primary_outcomes: list[PrimaryOutcome] = Field(default_factory=list)
    evidence: dict[str, Evidence] = Field(default_factory=dict)
    findings: list[FindingOut] = Field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class Problem(Frozen):
    """A record that could not be read: skipped, counted and reported. ``fatal``: a whole path
    could not be read (missing, too large, a damaged archive or export); ``members_read`` is
    how many records of a damaged archive or export were read before the damage."""

    file: str
    reason: str
    fatal: bool = False
    members_read: int | None = None


class LoadReport(Frozen):
    studies_read: int = 0
    msc_trials: int = 0
    stored: int = 0
    skipped: int = 0
    problems: list[Problem] = Field(default_factory=list)
    problems_total: int = 0
    fatal: list[Problem] = Field(default_factory=list)  # when any, nothing was stored

    @property
    def malformed(self) -> int:
        return self.problems_total
