"""Product specifications: versioned YAML lists of tests, and judging a result against one.

A specification names, for one kind of product (cells or placebo), every test a lot is checked
by: its category, method, the unit its result is reported in, the acceptance criterion and the
inspection it belongs to (the comprehensive *quality* inspection of a product and process
version, the fast *release* inspection of every lot, or both; DOMAIN §3, CLINICAL_FACTS §5.3).

Pure rules: no database, no clock. A malformed file, an unknown criterion type or a unit that
cannot measure what the test measures is refused with an error naming the field.

Per-kg limits (endotoxin ≤ 5 EU/kg, CLINICAL_FACTS §5.2) are judged for a lot at the worst case
the specification allows: the laboratory measures the final product's concentration (EU/mL)
and the dose a recipient can get is at most ``dose_basis.max_cells_per_kg`` cells per kg, which
is ``max_cells_per_kg ÷ (lot's cells per mL)`` millilitres per kg (or ``max_volume_ml_per_kg``
directly for a cell-free product). So EU/kg = EU/mL × mL/kg at the highest dose. A result
already given per kg is compared as it is.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from msctrial.core.errors import InvalidInput
from msctrial.core.units import parse_unit, registry
from msctrial.core.validation import explain, parse_yaml


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class LotKind(StrEnum):
    """What a lot contains: the cell product, or the matching placebo (saline + albumin)."""

    cells = "cells"
    placebo = "placebo"


class Category(StrEnum):
    identity = "identity"
    purity = "purity"
    potency = "potency"
    viability = "viability"
    cell_count = "cell_count"
    safety = "safety"


class Level(StrEnum):
    """The inspection a test belongs to (质量检验 / 放行检验, CLINICAL_FACTS §5.3)."""

    quality = "quality"
    release = "release"
    both = "both"

    def covers(self, inspection: Level) -> bool:
        return self is Level.both or self is inspection


class CriterionType(StrEnum):
    min = "min"  # result ≥ value
    max = "max"  # result ≤ value
    range = "range"  # low ≤ result ≤ high
    negative = "negative"  # qualitative: negative / positive
    conforms = "conforms"  # qualitative: conforms / does not conform


QUALITATIVE = {CriterionType.negative, CriterionType.conforms}
OUTCOMES = {
    CriterionType.negative: ("negative", "positive"),
    CriterionType.conforms: ("conforms", "does_not_conform"),
}

# What each category may be measured in, as pint dimensionalities. A unit outside these is
# almost always a typing error (EU/kg on a CD73 test), so the specification is refused.
_DIMENSIONLESS = "dimensionless"
ALLOWED_DIMENSIONS: dict[Category, tuple[str, ...]] = {
    Category.identity: (_DIMENSIONLESS,),
    Category.purity: (_DIMENSIONLESS, "[mass] / [length] ** 3"),
    Category.viability: (_DIMENSIONLESS,),
    Category.cell_count: ("[cell_count]", "[cell_count] / [length] ** 3"),
    Category.potency: (
        _DIMENSIONLESS,
        "[biological_activity]",
        "[enzyme_activity]",
        "[biological_activity] / [length] ** 3",
        "[enzyme_activity] / [length] ** 3",
        "[mass] / [length] ** 3",
    ),
    Category.safety: (
        _DIMENSIONLESS,
        "[endotoxin]",
        "[endotoxin] / [mass]",
        "[endotoxin] / [length] ** 3",
        "[mass] / [length] ** 3",
    ),
}
PER_KG = "[endotoxin] / [mass]"
PER_ML = "[endotoxin] / [length] ** 3"


def dimension_of(unit: str) -> str:
    q = parse_unit(unit)
    dims = q.dimensionality
    return _DIMENSIONLESS if not dims else str(dims)


def symbol(criterion: Criterion, unit: str | None) -> str:
    """The criterion as a QC sheet prints it: '≥ 95 %', '≤ 5 EU/kg', 'negative'."""
    u = f" {unit}" if unit else ""
    if criterion.type is CriterionType.min:
        return f"≥ {criterion.value:g}{u}"
    if criterion.type is CriterionType.max:
        return f"≤ {criterion.value:g}{u}"
    if criterion.type is CriterionType.range:
        return f"{criterion.low:g}–{criterion.high:g}{u}"
    return "negative" if criterion.type is CriterionType.negative else "conforms"


class Criterion(Strict):
    type: CriterionType
    value: float | None = Field(default=None, description="the limit of a min or max criterion")
    low: float | None = None
    high: float | None = None

    @model_validator(mode="after")
    def _limits(self) -> Self:
        t = self.type
        if t in (CriterionType.min, CriterionType.max):
            if self.value is None or self.low is not None or self.high is not None:
                raise ValueError(f"a {t.value} criterion takes one 'value' (no low/high)")
            if not math.isfinite(self.value):
                raise ValueError("value must be a finite number")
        elif t is CriterionType.range:
            if self.low is None or self.high is None or self.value is not None:
                raise ValueError("a range criterion takes 'low' and 'high' (no value)")
            if not self.low < self.high:
                raise ValueError("low must be below high")
        elif any(v is not None for v in (self.value, self.low, self.high)):
            raise ValueError(f"a {t.value} criterion takes no numbers")
        return self


class TestSpec(Strict):
    __test__ = False  # not a pytest class

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9_]{0,39}$", description="short id, e.g. cd73")
    name: str = Field(min_length=1, max_length=200)
    category: Category
    method: str = Field(min_length=1, max_length=200)
    unit: str | None = Field(default=None, description="unit of the result; none if qualitative")
    criterion: Criterion
    level: Level
    source: str = Field(min_length=1, description="where the limit comes from")

    @model_validator(mode="after")
    def _unit_matches_test(self) -> Self:
        qualitative = self.criterion.type in QUALITATIVE
        if qualitative:
            if self.unit:
                raise ValueError(
                    f"unit: a {self.criterion.type.value} test has no unit; remove {self.unit!r}"
                )
            return self
        if not self.unit:
            raise ValueError(f"unit: a {self.criterion.type.value} criterion needs a unit")
        try:
            dim = dimension_of(self.unit)
        except InvalidInput:
            raise ValueError(f"unit: {self.unit!r} is not a unit msctrial knows") from None
        allowed = ALLOWED_DIMENSIONS[self.category]
        if dim not in allowed:
            raise ValueError(
                f"unit: {self.unit!r} does not measure a {self.category.value} test; "
                f"allowed kinds of unit: {', '.join(allowed)} (e.g. '%' for a percentage)"
            )
        return self


class DoseBasis(Strict):
    """The highest dose a recipient can get, for judging per-kg limits (see the module doc)."""

    max_cells_per_kg: float | None = Field(default=None, gt=0)
    max_volume_ml_per_kg: float | None = Field(default=None, gt=0)
    source: str = ""


class Specification(Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{1,59}$")
    version: str = Field(min_length=1, max_length=20)
    kind: LotKind
    title: str = Field(min_length=1, max_length=300)
    source: str = ""
    dose_basis: DoseBasis | None = None
    tests: list[TestSpec] = Field(min_length=1)

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int | float) else v

    @model_validator(mode="after")
    def _unique_codes(self) -> Self:
        seen: set[str] = set()
        for t in self.tests:
            if t.code in seen:
                raise ValueError(f"tests: the code {t.code!r} is used twice; codes must be unique")
            seen.add(t.code)
        return self

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    def tests_for(self, level: Level) -> list[TestSpec]:
        return [t for t in self.tests if t.level.covers(level)]

    def test(self, code: str) -> TestSpec:
        for t in self.tests:
            if t.code == code:
                return t
        raise InvalidInput(
            f"test: {code!r} is not a test of {self.ref}; tests: "
            + ", ".join(t.code for t in self.tests),
            field="test",
        )


def load_specification_text(text: str, what: str = "specification") -> Specification:
    data = parse_yaml(text, what)
    if not isinstance(data, dict):
        raise InvalidInput(
            f"{what}: expected a mapping with name, version, kind, title and tests, "
            f"got {type(data).__name__}"
        )
    try:
        return Specification.model_validate(data)
    except ValidationError as exc:
        raise explain(exc, Specification, named_fields=True) from None


# --- results -----------------------------------------------------------------------------


Outcome = Literal["negative", "positive", "conforms", "does_not_conform"]


class ResultInput(Strict):
    """One result as the laboratory reports it: a number with its unit, or an outcome."""

    test: str = Field(min_length=1, max_length=40)
    value: float | None = None
    unit: str | None = None
    outcome: Outcome | None = None
    tested_on: dt.date | None = None
    note: str = Field(default="", max_length=2000)


@dataclass(frozen=True)
class Verdict:
    """A result judged against its test: in specification or not, and how it reads."""

    test: str
    in_spec: bool
    shown: str  # the result as reported, e.g. '96.2 %', 'negative'
    judged: str  # the value compared with the limit, e.g. '2.5 EU/kg'
    reason: str = ""  # why it is out of specification


def check_result(test: TestSpec, result: ResultInput) -> None:
    """Refuse a result that cannot be judged against ``test`` (wrong kind, unit or range)."""
    if test.criterion.type in QUALITATIVE:
        allowed = OUTCOMES[test.criterion.type]
        if result.outcome not in allowed or result.value is not None:
            raise InvalidInput(
                f"outcome: {test.code} is qualitative; give outcome {' or '.join(allowed)}",
                field="outcome",
            )
        return
    if result.value is None or result.outcome is not None:
        raise InvalidInput(
            f"value: {test.code} needs a number with its unit ({test.unit})", field="value"
        )
    if not math.isfinite(result.value) or result.value < 0:
        raise InvalidInput(
            f"value: {result.value} is not a valid {test.code} result; it must be ≥ 0",
            field="value",
        )
    unit = result.unit or test.unit
    assert unit is not None and test.unit is not None
    dim, want = dimension_of(unit), dimension_of(test.unit)
    if dim != want and not (want == PER_KG and dim == PER_ML):
        raise InvalidInput(
            f"unit: {unit!r} cannot express {test.code}; give it in {test.unit}"
            + (" or EU/mL" if want == PER_KG else ""),
            field="unit",
        )
    if want == _DIMENSIONLESS and _magnitude(result.value, unit, "%") > 100:
        raise InvalidInput(
            f"value: {result.value} {unit} is more than 100 %; check the entry", field="value"
        )


def _magnitude(value: float, unit: str, target: str) -> float:
    q = registry().Quantity(value) * parse_unit(unit)
    return float(q.to(parse_unit(target)).magnitude)


def evaluate(
    test: TestSpec, result: ResultInput, *, volume_per_kg_ml: float | None = None
) -> Verdict:
    """Judge one result against its test. ``volume_per_kg_ml`` converts EU/mL to EU/kg."""
    check_result(test, result)
    c = test.criterion
    if c.type in QUALITATIVE:
        good = OUTCOMES[c.type][0]
        shown = (result.outcome or "").replace("_", " ")
        ok = result.outcome == good
        return Verdict(test.code, ok, shown, shown, "" if ok else f"{shown}; required {good}")
    assert result.value is not None and test.unit is not None
    unit = result.unit or test.unit
    shown = f"{result.value:g} {unit}"
    if dimension_of(unit) == PER_ML and dimension_of(test.unit) == PER_KG:
        if volume_per_kg_ml is None:
            raise InvalidInput(
                f"unit: {test.code} has a per-kg limit; the lot's dose basis is unknown, so "
                f"give the result in {test.unit}",
                field="unit",
            )
        q = registry().Quantity(result.value) * parse_unit(unit)
        per_kg = q * registry().Quantity(volume_per_kg_ml, "mL/kg")
        value = float(per_kg.to(parse_unit(test.unit)).magnitude)
    else:
        value = _magnitude(result.value, unit, test.unit)
    judged = f"{value:.3g} {test.unit}"
    if c.type is CriterionType.min:
        assert c.value is not None
        ok = value >= c.value
    elif c.type is CriterionType.max:
        assert c.value is not None
        ok = value <= c.value
    else:
        assert c.low is not None and c.high is not None
        ok = c.low <= value <= c.high
    reason = "" if ok else f"{judged} is outside {symbol(c, test.unit)}"
    return Verdict(test.code, ok, shown, judged, reason)


def volume_per_kg(
    spec: Specification, cells_per_unit: float | None, volume_ml: float | None
) -> float | None:
    """Millilitres per kg of body weight at the highest dose, for per-kg limits."""
    basis = spec.dose_basis
    if basis is None:
        return None
    if basis.max_volume_ml_per_kg is not None:
        return basis.max_volume_ml_per_kg
    if basis.max_cells_per_kg is not None and cells_per_unit and volume_ml:
        return basis.max_cells_per_kg / (cells_per_unit / volume_ml)
    return None
