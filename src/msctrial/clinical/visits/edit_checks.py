"""Edit checks: turn what a site typed into stored values, refusing the implausible.

Pure. ``check_form`` reads one form's raw input (numbers with or without a unit, choices,
yes/no, dates), converts each number to its item's canonical unit with pint, and applies:

- the *hard* range: a value outside it cannot be a patient's, so the whole form is refused
  with ``OutOfRange`` naming every such item and what is allowed (nothing is stored);
- the *soft* range: a value outside it is stored and comes back as a ``Finding``, which the
  service raises as a query to the site;
- cross-item rules: PaO2 above the alveolar maximum and a diastolic above the systolic are
  refused; counts that do not add up raise queries.

FiO2 (CLINICAL_FACTS §4.3): stored as a fraction. With the unit % it is simply converted.
Given as a fraction (or with no unit) between 21 and 100 it is read as a percentage, stored
divided by 100, and flagged with a query so the site confirms; between 1 and 21 it is refused.
A bare number is read in the item's canonical unit (the one the form shows).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from msctrial.clinical.subjects.severity import Air
from msctrial.clinical.visits.derived import alveolar_po2, derive
from msctrial.clinical.visits.forms import Form, Item, ItemKind
from msctrial.core.errors import InvalidInput, OutOfRange
from msctrial.core.units import convert

TRUE = {"true", "yes", "y", "1", "on"}


FALSE = {"false", "no", "n", "0", "off"}


# FiO2 typed as 21-100 is a percentage (CLINICAL_FACTS §4.3).
FIO2_PERCENT_RANGE = (21.0, 100.0)


# DDU ≈ FEU / 2 (CLINICAL_FACTS §4.2): D-dimer is stored in FEU.
DDU_TO_FEU = 2.0


# Counts that should add up may differ by rounding; beyond this they raise a query.
SUM_TOLERANCE = 1.05


@dataclass(frozen=True)
class Value:
    """One stored value: the canonical number (or text) and what was typed, with its unit."""

    item: str
    number: float | None = None
    unit: str | None = None
    text: str | None = None
    entered: float | None = None
    entered_unit: str | None = None
    flag: str | None = None
    derived: bool = False
    note: str | None = None

    @property
    def display(self) -> str:
        if self.number is not None:
            return f"{self.number:.4g}"
        return self.text or ""


@dataclass(frozen=True)
class Finding:
    """An unusual value: stored, and queried with this message."""

    item: str
    message: str


@dataclass(frozen=True)
class CheckedForm:
    form: str
    values: dict[str, Value] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def numbers(self) -> dict[str, Any]:
        return {
            k: (v.number if v.number is not None else _typed(v)) for k, v in self.values.items()
        }


def _typed(v: Value) -> Any:
    if v.text in ("true", "false"):
        return v.text == "true"
    return v.text


@functools.lru_cache(maxsize=1024)
def _affine(from_unit: str, to_unit: str) -> tuple[float, float]:
    """Every conversion of a lab unit is affine (°F → °C has an offset): pint works out the
    slope and offset once per pair of units, then converting is one multiply-add."""
    zero = convert(0.0, from_unit, to_unit)
    return convert(1.0, from_unit, to_unit) - zero, zero


def to_canonical(value: float, from_unit: str, to_unit: str, field: str) -> float:
    try:
        slope, offset = _affine(pint_unit(from_unit), pint_unit(to_unit))
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field=field) from None
    return slope * value + offset


def pint_unit(unit: str) -> str:
    """How a form unit is spelt for pint: '1' → dimensionless, '/uL' and 'cells/uL' → 1/uL."""
    text = unit.strip().replace("cells", "").replace("cell", "").strip()
    if text in ("", "1", "fraction", "ratio"):
        return "dimensionless"
    if text.startswith("/"):
        return "1" + text
    return text


class _Problems:
    def __init__(self, form: str) -> None:
        self.form = form
        self.items: list[tuple[str, str, bool]] = []

    def add(self, item: str, message: str, out_of_range: bool = False) -> None:
        self.items.append((f"{self.form}.{item}", message, out_of_range))

    def raise_any(self) -> None:
        if not self.items:
            return
        text = "; ".join(f"{f}: {m}" for f, m, _ in self.items)
        cls = OutOfRange if any(r for *_, r in self.items) else InvalidInput
        raise cls(
            text,
            field=self.items[0][0],
            problems=[{"field": f, "message": m} for f, m, _ in self.items],
        )


def _split_raw(raw: Any) -> tuple[Any, str | None]:
    if isinstance(raw, Mapping):
        unknown = set(raw) - {"value", "unit"}
        if unknown:
            raise ValueError(f"give {{'value': …, 'unit': …}}; unknown keys {sorted(unknown)}")
        unit = raw.get("unit")
        return raw.get("value"), (str(unit).strip() or None) if unit is not None else None
    return raw, None


def _number(item: Item, raw: Any, problems: _Problems, findings: list[Finding]) -> Value | None:
    value, unit = _split_raw(raw)
    if isinstance(value, bool) or value is None or value == "":
        problems.add(item.name, f"a number in {item.unit_label or 'the form unit'} is required")
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        problems.add(item.name, f"{value!r} is not a number")
        return None
    if not math.isfinite(number):
        problems.add(item.name, "a finite number is required")
        return None
    assert item.unit is not None
    entered_unit = unit or item.unit
    flag = None
    try:
        canonical = to_canonical(number, entered_unit, item.unit, item.name)
    except InvalidInput:
        problems.add(
            item.name,
            f"{entered_unit!r} is not a unit of the same kind as {item.unit!r}; "
            f"use one of {', '.join(item.accepted_units)}",
        )
        return None
    if item.name == "fio2" and pint_unit(entered_unit) == "dimensionless":
        lo, hi = FIO2_PERCENT_RANGE
        if lo <= number <= hi:
            canonical, flag = number / 100, "fio2_read_as_percent"
            findings.append(
                Finding(
                    item.name,
                    f"FiO2 {number:g} was given as a fraction and read as {number:g} % "
                    f"({canonical:.2f}); confirm, or correct it (CLINICAL_FACTS §4.3)",
                )
            )
    if item.hard is not None and not item.hard.contains(canonical):
        problems.add(item.name, _out_of_range(item, number, entered_unit, canonical), True)
        return None
    if item.soft is not None and not item.soft.contains(canonical):
        findings.append(
            Finding(
                item.name,
                f"{item.label} {number:g} {entered_unit} is unusual (expected {item.soft} "
                f"{item.unit_label}; {item.cited}); please confirm or correct it",
            )
        )
    return Value(item.name, canonical, item.unit, None, number, entered_unit, flag)


def _out_of_range(item: Item, number: float, unit: str, canonical: float) -> str:
    assert item.hard is not None
    text = f"{number:g} {unit} is implausible; allowed {item.hard} {item.unit_label} ({item.cited})"
    for other in item.accepted_units:
        if other == unit:
            continue
        try:
            alt = to_canonical(number, other, item.unit or other, item.name)
        except InvalidInput:
            continue
        if item.hard.contains(alt):
            return f"{text}; if it was measured in {other}, give that unit"
    return text


def _choice(item: Item, raw: Any, problems: _Problems) -> Value | None:
    text = str(raw).strip()
    if text not in item.choices:
        problems.add(item.name, f"{text!r} is not allowed; choose one of {', '.join(item.choices)}")
        return None
    return Value(item.name, text=text)


def _boolean(item: Item, raw: Any, problems: _Problems) -> Value | None:
    if isinstance(raw, bool):
        return Value(item.name, text="true" if raw else "false")
    text = str(raw).strip().lower()
    if text in TRUE | FALSE:
        return Value(item.name, text="true" if text in TRUE else "false")
    problems.add(item.name, f"{raw!r} is not yes or no")
    return None


def _date(item: Item, raw: Any, problems: _Problems, today: dt.date) -> Value | None:
    try:
        day = raw if isinstance(raw, dt.date) else dt.date.fromisoformat(str(raw).strip())
    except ValueError:
        problems.add(item.name, f"{raw!r} is not a date; write YYYY-MM-DD")
        return None
    if day > today:
        problems.add(item.name, f"{day.isoformat()} is in the future")
        return None
    return Value(item.name, text=day.isoformat())


def check_form(
    form: Form,
    raw: Mapping[str, Any],
    *,
    today: dt.date,
    air: Air = Air(),
    visit_pf: float | None = None,
) -> CheckedForm:
    """Validate and convert one form; refuse it whole if anything is implausible."""
    problems = _Problems(form.name)
    findings: list[Finding] = []
    values: dict[str, Value] = {}
    for name in raw:
        item = form.item(name)
        if item is None:
            allowed = ", ".join(i.name for i in form.entered_items)
            problems.add(name, f"not an item of this form; items: {allowed}")
        elif item.derived:
            problems.add(name, "is computed from the other items; do not enter it")
    for item in form.entered_items:
        given = raw.get(item.name)
        if _blank(given):
            if item.required:
                problems.add(item.name, "is required")
            continue
        try:
            value = _read(item, given, problems, findings, today)
        except ValueError as exc:
            problems.add(item.name, str(exc))
            continue
        if value is not None:
            values[item.name] = value
    problems.raise_any()
    _cross_checks(form.name, values, findings, problems, air)
    problems.raise_any()
    checked = CheckedForm(form.name, values, findings)
    derived = derive(form.name, checked.numbers(), air, visit_pf)
    for name, number in derived.values.items():
        item = form.item(name)
        assert item is not None and item.unit is not None
        if item.hard is not None and not item.hard.contains(number):
            problems.add(name, _out_of_range(item, number, item.unit, number), True)
        elif item.soft is not None and not item.soft.contains(number):
            findings.append(
                Finding(
                    name,
                    f"{item.label} {number:.4g} {item.unit_label} is outside the usual range "
                    f"{item.soft} {item.unit_label} ({item.cited}); please check the values it "
                    "is computed from",
                )
            )
        values[name] = Value(name, number, item.unit, derived=True, note=derived.notes.get(name))
    problems.raise_any()
    return checked


def _blank(value: Any) -> bool:
    if isinstance(value, Mapping):
        value = value.get("value")
    return value is None or (isinstance(value, str) and not value.strip())


def _read(
    item: Item, raw: Any, problems: _Problems, findings: list[Finding], today: dt.date
) -> Value | None:
    if item.kind is ItemKind.number:
        return _number(item, raw, problems, findings)
    if item.kind is ItemKind.choice:
        return _choice(item, raw, problems)
    if item.kind is ItemKind.boolean:
        return _boolean(item, raw, problems)
    if item.kind is ItemKind.date:
        return _date(item, raw, problems, today)
    return Value(item.name, text=str(raw).strip()[:2000])


def _num(values: dict[str, Value], name: str) -> float | None:
    v = values.get(name)
    return v.number if v is not None else None


def _cross_checks(
    form: str, values: dict[str, Value], findings: list[Finding], problems: _Problems, air: Air
) -> None:
    if form == "blood_gas":
        pao2, fio2, paco2 = _num(values, "pao2"), _num(values, "fio2"), _num(values, "paco2")
        if pao2 is not None and fio2 is not None:
            ceiling = alveolar_po2(fio2, air.pressure_mmhg, paco2)
            if pao2 > ceiling:
                problems.add(
                    "pao2",
                    f"PaO2 {pao2:.0f} mmHg is above the alveolar maximum {ceiling:.0f} mmHg for "
                    f"FiO2 {fio2:.2f} at PB {air.pressure_mmhg:.0f} mmHg (CLINICAL_FACTS §4.3); "
                    "check PaO2, FiO2 and their units",
                    True,
                )
    elif form == "vital_signs":
        sbp, dbp = _num(values, "systolic_bp"), _num(values, "diastolic_bp")
        if (sbp is None) != (dbp is None):
            problems.add("diastolic_bp" if dbp is None else "systolic_bp", "give both pressures")
        elif sbp is not None and dbp is not None and dbp >= sbp:
            problems.add("diastolic_bp", f"{dbp:g} mmHg is not below the systolic {sbp:g}", True)
    elif form == "cbc":
        wbc, n, ly = _num(values, "wbc"), _num(values, "neutrophils"), _num(values, "lymphocytes")
        if wbc is not None and n is not None and ly is not None and n + ly > wbc * SUM_TOLERANCE:
            findings.append(
                Finding(
                    "wbc",
                    f"neutrophils + lymphocytes ({n + ly:.3g}) exceed the white count {wbc:.3g}",
                )
            )
    elif form == "lymphocyte_subsets":
        cd3, cd4, cd8 = _num(values, "cd3"), _num(values, "cd4"), _num(values, "cd8")
        if (
            cd3 is not None
            and cd4 is not None
            and cd8 is not None
            and cd4 + cd8 > cd3 * SUM_TOLERANCE
        ):
            findings.append(
                Finding("cd3", f"CD4+ + CD8+ ({cd4 + cd8:.0f}) exceed CD3+ ({cd3:.0f})")
            )
    elif form == "chemistry":
        basis = values.get("d_dimer_basis")
        dd = values.get("d_dimer")
        if basis is not None and basis.text == "DDU" and dd is not None and dd.number is not None:
            values["d_dimer"] = Value(
                dd.item,
                dd.number * DDU_TO_FEU,
                dd.unit,
                None,
                dd.entered,
                dd.entered_unit,
                "ddu_doubled_to_feu",
            )
    elif form == "hospital_status":
        status = values.get("status")
        needs = {"discharged": "discharge_date", "dead": "death_date"}
        if status is not None and status.text in needs and needs[status.text] not in values:
            problems.add(needs[status.text], f"is required when the status is {status.text}")
