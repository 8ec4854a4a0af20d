"""Eligibility against the protocol (``msctrial.protocol.model.Eligibility``). Pure.

Severity and age are decided by the software from the screening observations; the protocol's
free-text inclusion and exclusion criteria are confirmed one by one by the investigator. A
patient is eligible when every criterion is assessed and met. A criterion that is assessed and
not met makes a screen failure; one not yet assessed leaves the patient in screening.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

from msctrial.core.errors import InvalidInput
from msctrial.protocol.model import Eligibility, Severity

Kind = Literal["severity", "age", "inclusion", "exclusion"]


@dataclass(frozen=True)
class Criterion:
    kind: Kind
    text: str
    met: bool | None  # None: not assessed yet
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class EligibilityResult:
    criteria: tuple[Criterion, ...]

    @property
    def eligible(self) -> bool:
        return all(c.met is True for c in self.criteria)

    @property
    def unmet(self) -> list[Criterion]:
        return [c for c in self.criteria if c.met is False]

    @property
    def unassessed(self) -> list[Criterion]:
        return [c for c in self.criteria if c.met is None]

    @property
    def failed(self) -> bool:
        """At least one criterion is definitely not met: a screen failure."""
        return bool(self.unmet)

    def failure_reason(self) -> str:
        return "; ".join(
            f"{c.kind}: {c.text} ({c.note})" if c.note else f"{c.kind}: {c.text}"
            for c in self.unmet
        )


def age_at(year_of_birth: int, year: int) -> int:
    """The age reached in ``year``: all a pseudonymised record (year of birth only) allows."""
    return year - year_of_birth


def _check_keys(answers: Mapping[str, bool], allowed: list[str], field: str) -> None:
    for key, value in answers.items():
        if key not in allowed:
            listed = "; ".join(allowed) or "none in this protocol"
            raise InvalidInput(
                f"{field}: {key!r} is not a criterion of the protocol; its criteria: {listed}",
                field=field,
            )
        if not isinstance(value, bool):
            raise InvalidInput(f"{field}: answer {key!r} with true or false", field=field)


def check_eligibility(
    rules: Eligibility,
    *,
    age_years: int | None,
    severity: Severity | None,
    inclusion_met: Mapping[str, bool] | None = None,
    exclusion_present: Mapping[str, bool] | None = None,
) -> EligibilityResult:
    """Each criterion with whether it is met.

    ``inclusion_met`` maps an inclusion criterion's text to True when the patient meets it;
    ``exclusion_present`` maps an exclusion criterion's text to True when the patient has it.
    """
    inclusion_met = dict(inclusion_met or {})
    exclusion_present = dict(exclusion_present or {})
    _check_keys(inclusion_met, rules.inclusion, "inclusion")
    _check_keys(exclusion_present, rules.exclusion, "exclusion")
    out: list[Criterion] = []
    if rules.severity:
        allowed = ", ".join(s.value for s in rules.severity)
        if severity is None:
            out.append(Criterion("severity", f"severity one of {allowed}", None, "not classified"))
        else:
            out.append(
                Criterion(
                    "severity",
                    f"severity one of {allowed}",
                    severity in rules.severity,
                    f"classified {severity.value}",
                )
            )
    lo, hi = rules.age.min, rules.age.max
    if lo is not None or hi is not None:
        text = f"age {lo if lo is not None else 0}-{hi if hi is not None else 'any'} years"
        if age_years is None:
            out.append(Criterion("age", text, None, "age unknown"))
        else:
            ok = (lo is None or age_years >= lo) and (hi is None or age_years <= hi)
            out.append(Criterion("age", text, ok, f"{age_years} years"))
    for text in rules.inclusion:
        out.append(Criterion("inclusion", text, inclusion_met.get(text)))
    for text in rules.exclusion:
        present = exclusion_present.get(text)
        out.append(
            Criterion(
                "exclusion",
                text,
                None if present is None else not present,
                "" if present is None else ("present" if present else "absent"),
            )
        )
    return EligibilityResult(tuple(out))
