"""The KRI configuration: one YAML with gsm's defaults (``kri.yaml``), which a user may copy."""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from msctrial.core.errors import InvalidInput
from msctrial.core.validation import explain, parse_yaml, read_text
from msctrial.monitoring.deviations import KINDS
from msctrial.monitoring.model import Accrual, AccrualMetric, KriType, Method, Thresholds

# What the platform can count (monitoring.counts); a KRI names one as its ``source``.
SOURCES = (
    "ae",
    "sae",
    "study_discontinuation",
    "treatment_discontinuation",
    "queries",
    "old_queries",
    "late_entries",
    "changed_values",
    "screen_failures",
    "ineligible",
    "deaths_90",
    "deaths_28",
    "infusion_deviations",
    "infusion_reactions",
    "unblindings",
    "late_sae_reports",
    "lab_abnormalities",
    "deviations",
    "important_deviations",
    "blocked_dispensings",
)


class AccrualSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    minimum: float = Field(ge=0)
    metric: AccrualMetric = AccrualMetric.denominator


class KriSpec(BaseModel):
    """One KRI: what it counts, how it is scored and flagged, its risk-score weights."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[A-Z][A-Z0-9]{1,15}$")
    gsm: str | None = None
    name: str
    numerator: str
    denominator: str
    source: Literal[SOURCES]  # type: ignore[valid-type]
    type: KriType
    method: Method
    identity_of: Literal["metric", "numerator"] = "metric"
    thresholds: list[float]
    flags: list[int]
    accrual: AccrualSpec = AccrualSpec(minimum=0)
    weights: dict[int, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _bands(self) -> KriSpec:
        Thresholds(tuple(self.thresholds), tuple(self.flags))  # refuses bad bands by name
        unknown = set(self.weights) - set(self.flags)
        if unknown:
            raise ValueError(f"weights for flags {sorted(unknown)} that the KRI never gives")
        return self

    @property
    def bands(self) -> Thresholds:
        return Thresholds(tuple(self.thresholds), tuple(self.flags))

    @property
    def accrual_rule(self) -> Accrual:
        return Accrual(self.accrual.minimum, self.accrual.metric)


class PlanSpec(BaseModel):
    """The risk-adapted monitoring plan: risk-score bands and the window of "new" records."""

    model_config = ConfigDict(extra="forbid")

    full_at: float = Field(default=25.0, ge=0, le=100)
    targeted_at: float = Field(default=10.0, ge=0, le=100)
    recent_days: int = Field(default=30, ge=1, le=3650)
    full_on_red: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ordered(self) -> PlanSpec:
        if self.targeted_at > self.full_at:
            raise ValueError("targeted_at must not exceed full_at")
        return self


class QtlSpec(BaseModel):
    """A study-level quality tolerance limit: a proportion against its expected rate."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[A-Z][A-Z0-9]{1,15}$")
    gsm: str | None = None
    name: str
    source: Literal[SOURCES]  # type: ignore[valid-type]
    rate: float = Field(gt=0, lt=1)
    deviations: float = Field(default=3.0, gt=0)


class DeviationRule(BaseModel):
    """Whether one kind of protocol deviation is important (IPD) or not (PD), and why."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal[KINDS]  # type: ignore[valid-type]
    important: bool
    reason: str = Field(min_length=1)


class MonitoringConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    kris: list[KriSpec] = Field(min_length=1)
    plan: PlanSpec = Field(default_factory=PlanSpec)
    qtls: list[QtlSpec] = Field(default_factory=list)
    deviations: list[DeviationRule] = Field(default_factory=list)

    @property
    def important_deviations(self) -> dict[str, bool]:
        """Each named kind's class; a kind not named counts as important (``deviations``)."""
        return {rule.kind: rule.important for rule in self.deviations}

    @model_validator(mode="after")
    def _unique(self) -> MonitoringConfig:
        ids = [k.id for k in self.kris]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"KRI ids given twice: {', '.join(twice)}")
        unknown = sorted(set(self.plan.full_on_red) - set(ids))
        if unknown:
            raise ValueError(f"plan.full_on_red names no KRI: {', '.join(unknown)}")
        return self


def load_config_text(text: str, what: str = "config") -> MonitoringConfig:
    data = parse_yaml(text, what)
    if not isinstance(data, dict):
        raise InvalidInput(f"{what}: expected a mapping with `kris`", field="config")
    try:
        return MonitoringConfig.model_validate(data)
    except ValidationError as exc:
        raise explain(exc, MonitoringConfig, prefix="config") from None
    except InvalidInput as exc:
        raise InvalidInput(f"config: {exc.message}", field="config") from None


@functools.cache
def default_config() -> MonitoringConfig:
    text = resources.files("msctrial.monitoring").joinpath("kri.yaml").read_text("utf-8")
    return load_config_text(text, "kri.yaml")


def load_config(path: Path | None) -> MonitoringConfig:
    """The user's configuration file, or gsm's defaults when none is given."""
    if path is None:
        return default_config()
    return load_config_text(read_text(path, "config"), "config")
