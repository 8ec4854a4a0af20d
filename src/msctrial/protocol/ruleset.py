"""The expert guidance as data: a versioned ruleset file holds every number the rules use.

The seed's guidance (``rulesets/cn-expert-guidance-2020.yaml``) is the default; a user judges a
protocol by another guideline's numbers by loading another file (``--ruleset``,
``MSCTRIAL_RULESET``). The file is validated strictly: an unknown key or rule id is an error
that lists what is allowed, never silently ignored.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from msctrial.core.errors import InvalidInput
from msctrial.core.validation import explain, parse_yaml, read_text
from msctrial.protocol.model import Measure, Severity

Level = Literal["deviation", "advice"]
RULE_IDS = (
    "indication",
    "too_many_infusions",
    "dose_per_kg_low",
    "dose_per_kg_high",
    "interval_short",
    "not_randomised",
    "not_double_blind",
    "placebo_composition",
    "standard_care_both_arms",
    "primary_endpoint",
    "safety_endpoints",
    "follow_up",
    "sample_size_power",
)
DEFAULT_RULESET = "cn-expert-guidance-2020.yaml"


# --- the ruleset ----------------------------------------------------------------------------


class _R(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Indication(_R):
    allowed_severity: list[Severity]
    source: str


class _Infusions(_R):
    max: int = Field(ge=1)
    source: str


class _DosePerKg(_R):
    min: float = Field(gt=0)
    max: float = Field(gt=0)
    unit: Literal["cells/kg"]
    source: str

    @model_validator(mode="after")
    def _band(self) -> Self:
        if self.min > self.max:
            raise ValueError("min must not exceed max")
        return self


class _Interval(_R):
    min_days: int = Field(ge=0)
    source: str


class _Source(_R):
    source: str


class _Placebo(_R):
    must_contain: list[list[str]]
    source: str


class _AnyOf(_R):
    any_of: list[Measure]
    source: str


class _Expected(_R):
    expected: list[Measure]
    source: str


class _FollowUp(_R):
    min_days_after_last_dose: int = Field(ge=0)
    long_term_days: int = Field(ge=0)
    source: str


class Guidance(_R):
    id: str
    version: int
    title: str
    source: str
    indication: _Indication
    infusions: _Infusions
    dose_per_kg: _DosePerKg
    interval: _Interval
    design: _Source
    placebo: _Placebo
    standard_care: _Source
    primary_endpoint: _AnyOf
    safety_endpoints: _Expected
    follow_up: _FollowUp
    levels: dict[str, Literal["deviation", "advice"]]

    def level(self, rule: str) -> Level:
        return self.levels.get(rule, "advice")


def load_guidance_text(text: str, what: str = "ruleset") -> Guidance:
    data = parse_yaml(text, what)
    if not isinstance(data, dict):
        raise InvalidInput(
            f"{what}: expected a mapping of rules (id, version, infusions, dose_per_kg, …)",
            field="ruleset",
        )
    try:
        guidance = Guidance.model_validate(data)
    except ValidationError as exc:
        raise explain(exc, Guidance, prefix="ruleset") from None
    unknown = set(guidance.levels) - set(RULE_IDS)
    if unknown:
        raise InvalidInput(
            f"ruleset.levels: unknown rule ids {sorted(unknown)}; known: {', '.join(RULE_IDS)}",
            field="ruleset.levels",
        )
    return guidance


@functools.cache
def default_guidance() -> Guidance:
    text = (
        resources.files("msctrial.protocol")
        .joinpath("rulesets", DEFAULT_RULESET)
        .read_text("utf-8")
    )
    return load_guidance_text(text, DEFAULT_RULESET)


def load_guidance(path: str | Path | None) -> Guidance:
    """The ruleset in ``path``, or the seed's guidance when None."""
    if path is None:
        return default_guidance()
    p = Path(path)
    return load_guidance_text(read_text(p, "ruleset"), p.name)
