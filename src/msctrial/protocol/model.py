"""The protocol model: a trial's design as data, the hub that every other package reads.

A protocol YAML file (``protocol.loader``) and a registry record (``registry``) both become a
``Protocol``; the expert-guidance rules (``protocol.guidance``) judge either one. Fields a
registry record does not state stay ``None`` ("unknown"), and the rules do not guess about
them. Models are frozen and refuse unknown keys, so a misspelt key is an error, not a silent
default.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from msctrial.protocol.planning import Estimand, InterimPlan, PowerAssumptions
from msctrial.protocol.terms import (
    Allocation,
    ArmType,
    ControlType,
    Donor,
    DoseUnit,
    Masking,
    Measure,
    Phase,
    ProductKind,
    Route,
    Severity,
    TissueSource,
    parse_phases,
)

__all__ = [
    "AgeRange",
    "Allocation",
    "Arm",
    "ArmType",
    "ControlType",
    "Days",
    "Design",
    "Donor",
    "Dose",
    "DoseUnit",
    "Dosing",
    "Eligibility",
    "Endpoint",
    "Endpoints",
    "Estimand",
    "InterimPlan",
    "Masking",
    "Measure",
    "parse_dose_text",
    "parse_phases",
    "Phase",
    "PowerAssumptions",
    "ProductKind",
    "Protocol",
    "Route",
    "SampleSize",
    "Schedule",
    "Severity",
    "StratificationFactor",
    "Strict",
    "TissueSource",
    "Visit",
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


Days = Annotated[int, Field(ge=0, le=3650)]


class Dose(Strict):
    """A dose per administration: a value with its unit, optionally a range up to ``max``."""

    value: float = Field(gt=0, description="the dose, e.g. 1.0e6 with unit cells/kg")
    unit: DoseUnit
    max: float | None = Field(default=None, gt=0, description="upper end when a range is given")

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        if isinstance(data, int | float):
            raise ValueError(
                "a dose needs its unit: write {value: 1.0e6, unit: cells/kg} or '1e6 cells/kg'; "
                f"allowed units: {', '.join(u.value for u in DoseUnit)}"
            )
        if isinstance(data, str):
            return parse_dose_text(data)
        if isinstance(data, dict) and "value" in data and data.get("unit") in (None, ""):
            raise ValueError(
                f"unit: a dose needs its unit; allowed: {', '.join(u.value for u in DoseUnit)}"
            )
        return data

    @model_validator(mode="after")
    def _range(self) -> Self:
        if self.max is not None and self.max < self.value:
            raise ValueError("max must not be below value")
        return self

    @property
    def per_kg(self) -> bool:
        return self.unit in (DoseUnit.cells_per_kg, DoseUnit.particles_per_kg)

    @property
    def counts_cells(self) -> bool:
        return self.unit in (DoseUnit.cells_per_kg, DoseUnit.cells)

    def __str__(self) -> str:
        hi = f"–{self.max:.3g}" if self.max else ""
        return f"{self.value:.3g}{hi} {self.unit.value}"


_DOSE_TEXT = re.compile(
    r"^\s*(?P<value>\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*(?:[x×*]\s*10\s*\^\s*(?P<exp>-?\d+))?"
    r"\s*(?P<unit>cells/kg|cells|particles/kg|particles|ml)\s*$",
    re.IGNORECASE,
)


_BARE_NUMBER = re.compile(
    r"^\s*\d+(?:\.\d+)?(?:e[+-]?\d+)?\s*(?:[x×*]\s*10\s*\^\s*-?\d+)?\s*$", re.IGNORECASE
)


def parse_dose_text(text: str) -> dict[str, Any]:
    """'1e6 cells/kg', '1.0 x 10^6 cells/kg', '4e7 cells' → {'value', 'unit'}."""
    m = _DOSE_TEXT.match(text)
    if not m and _BARE_NUMBER.match(text):
        raise ValueError(
            f"{text!r} has no unit; a dose needs its unit, e.g. '{text.strip()} cells/kg'; "
            f"allowed units: {', '.join(u.value for u in DoseUnit)}"
        )
    if not m:
        raise ValueError(
            f"{text!r} is not a dose; write e.g. '1e6 cells/kg', '1.0 x 10^6 cells/kg' or '4e7 cells'"
        )
    value = float(m.group("value")) * (10 ** int(m.group("exp")) if m.group("exp") else 1)
    unit = m.group("unit").lower().replace("ml", "mL")
    return {"value": value, "unit": unit}


class Schedule(Strict):
    """When a patient is dosed: explicit days from day 0, or every N days M times."""

    days: list[Days] | None = None
    every_days: int | None = Field(default=None, ge=1, le=365)
    times: int | None = Field(default=None, ge=1, le=100)
    start_day: Days = 0
    optional_days: list[Days] = Field(
        default_factory=list, description="extra administrations given only if needed"
    )
    window_days: int = Field(default=0, ge=0, le=30, description="± days allowed around each day")

    @model_validator(mode="after")
    def _one_form(self) -> Self:
        explicit = self.days is not None
        periodic = self.every_days is not None or self.times is not None
        if explicit and periodic:
            raise ValueError("give either days or every_days with times, not both")
        if periodic and (self.every_days is None or self.times is None):
            raise ValueError("every_days and times go together")
        if explicit and self.days is not None:
            if len(set(self.days)) != len(self.days):
                raise ValueError("days: each administration day may appear once")
            if list(self.days) != sorted(self.days):
                raise ValueError("days: list the administration days in order")
        return self

    @property
    def planned_days(self) -> list[int]:
        """The days every patient is dosed (optional extra doses not included)."""
        if self.days is not None:
            return list(self.days)
        if self.every_days is not None and self.times is not None:
            return [self.start_day + i * self.every_days for i in range(self.times)]
        return []

    @property
    def all_days(self) -> list[int]:
        """Planned and optional days together: the most a patient can receive."""
        return sorted(set(self.planned_days) | set(self.optional_days))

    @property
    def is_known(self) -> bool:
        return bool(self.planned_days) or bool(self.optional_days)


class Dosing(Strict):
    dose: Dose | None = None
    dose_levels: list[Dose] = Field(
        default_factory=list, description="dose-escalation cohorts, lowest first"
    )
    route: Route | None = None
    schedule: Schedule = Field(default_factory=Schedule)
    administrations: int | None = Field(
        default=None, ge=1, le=100, description="count when the days themselves are not stated"
    )
    volume_ml: float | None = Field(default=None, gt=0, le=2000)

    @property
    def doses(self) -> list[Dose]:
        """Every dose level a patient might receive."""
        levels = list(self.dose_levels)
        if self.dose is not None and self.dose not in levels:
            levels.insert(0, self.dose)
        return levels

    @property
    def max_administrations(self) -> int | None:
        days = self.schedule.all_days
        if days:
            return len(days)
        return self.administrations


class Arm(Strict):
    name: str = Field(min_length=1, max_length=200)
    type: ArmType
    product: ProductKind
    tissue_source: TissueSource | None = None
    donor: Donor | None = None
    vehicle: str | None = Field(default=None, description='e.g. "saline + 1% albumin"')
    standard_care: bool | None = Field(
        default=None, description="the arm also receives guideline standard care"
    )
    allocation_ratio: int = Field(default=1, ge=1, le=10)
    dosing: Dosing | None = None

    @property
    def gives_msc_product(self) -> bool:
        return self.product in (
            ProductKind.cells,
            ProductKind.extracellular_vesicles,
            ProductKind.secretome,
        )


class Design(Strict):
    allocation: Allocation | None = None
    masking: Masking | None = None
    control: ControlType | None = None
    centres: int | None = Field(default=None, ge=1, le=1000)
    day0_event: Literal["randomisation", "first_administration"] = "randomisation"


class Visit(Strict):
    name: str = Field(min_length=1, max_length=100)
    day: int = Field(ge=-60, le=3650)
    window_days: int = Field(default=0, ge=0, le=90)
    forms: list[str] = Field(default_factory=list)


class AgeRange(Strict):
    min: int | None = Field(default=None, ge=0, le=120)
    max: int | None = Field(default=None, ge=0, le=120)

    @model_validator(mode="after")
    def _order(self) -> Self:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min must not exceed max")
        return self


class Eligibility(Strict):
    severity: list[Severity] = Field(default_factory=list)
    age: AgeRange = Field(default_factory=AgeRange)
    inclusion: list[str] = Field(default_factory=list)
    exclusion: list[str] = Field(default_factory=list)


class Endpoint(Strict):
    measure: Measure
    name: str | None = Field(default=None, max_length=500)
    time_points: list[int] = Field(default_factory=list, description="study days")
    time_frame: str | None = Field(default=None, max_length=500)
    estimand: Estimand | None = None

    @field_validator("time_points")
    @classmethod
    def _days(cls, v: list[int]) -> list[int]:
        for d in v:
            if d < 0:
                raise ValueError(f"time point {d} is before day 0; use days from day 0")
        return v


class Endpoints(Strict):
    primary: list[Endpoint] = Field(default_factory=list)
    secondary: list[Endpoint] = Field(default_factory=list)
    safety: list[Endpoint] = Field(default_factory=list)

    def all(self) -> list[Endpoint]:
        return [*self.primary, *self.secondary, *self.safety]


StratificationFactor = Literal["site", "severity", "age_group", "sex", "mechanical_ventilation"]


class SampleSize(Strict):
    target: int = Field(ge=1, le=100000)
    rationale: str | None = None
    assumptions: PowerAssumptions | None = None
    interim: InterimPlan | None = None


class Protocol(Strict):
    title: str = Field(min_length=1, max_length=500)
    version: str = Field(min_length=1, max_length=50)
    registry_ids: list[str] = Field(default_factory=list)
    phase: list[Phase] = Field(default_factory=list)
    source: str | None = Field(default=None, description="where this design comes from")
    design: Design = Field(default_factory=Design)
    arms: list[Arm] = Field(min_length=1)
    visits: list[Visit] = Field(default_factory=list)
    eligibility: Eligibility = Field(default_factory=Eligibility)
    stratification: list[StratificationFactor] = Field(default_factory=list)
    endpoints: Endpoints = Field(default_factory=Endpoints)
    follow_up_days: int | None = Field(default=None, ge=0, le=3650)
    sample_size: SampleSize | None = None

    @field_validator("phase", mode="before")
    @classmethod
    def _phase(cls, v: Any) -> list[Phase]:
        return parse_phases(v)

    @field_validator("registry_ids")
    @classmethod
    def _ids(cls, v: list[str]) -> list[str]:
        for rid in v:
            if not re.match(r"^(NCT\d{8}|ChiCTR[\w-]+|EUCTR[\w-]+|ISRCTN\d+|[\w./-]+)$", rid):
                raise ValueError(
                    f"{rid!r} is not a registry id (e.g. NCT04288102, ChiCTR2000029990)"
                )
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        names = [a.name for a in self.arms]
        if len(set(names)) != len(names):
            raise ValueError("arms: each arm needs its own name")
        visit_names = [v.name for v in self.visits]
        if len(set(visit_names)) != len(visit_names):
            raise ValueError("visits: each visit needs its own name")
        return self

    @property
    def treatment_arms(self) -> list[Arm]:
        return [a for a in self.arms if a.gives_msc_product]

    @property
    def is_blinded(self) -> bool:
        return bool(self.design.masking and self.design.masking.at_least_double)

    @property
    def last_visit_day(self) -> int | None:
        return max((v.day for v in self.visits), default=None)
