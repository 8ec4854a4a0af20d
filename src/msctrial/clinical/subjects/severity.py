"""COVID-19 severity at screening: NHC trial version 7 types, Berlin ARDS grade, WHO scale.

Pure rules. ``parse_observations`` turns a JSON object into ``Observations`` (unknown keys and
implausible values are refused, naming the field); ``classify_severity`` applies the adult
criteria and says why. Every threshold cites CLINICAL_FACTS.

"Moderate, progressing" (the common type progressing to severe, an indication of the expert
guidance, CLINICAL_FACTS §7) has no numeric definition in trial version 7: its early-warning
indicators are trends (falling lymphocytes, rising IL-6, CRP or lactate, fast-growing lesions;
§1.2). A moderate patient is "progressing" when the clinician says so (``clinician_progressing``,
judging those trends). Lesions growing by more than 50% within 24-48 h are not "progressing"
but *severe*: trial version 7 manages them as severe (§1.1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from msctrial.core.errors import InvalidInput, OutOfRange
from msctrial.core.validation import explain
from msctrial.protocol.model import Severity

# CLINICAL_FACTS §1.1 (NHC trial version 7, adults): any one of these makes a patient severe.
SEVERE_RR_PER_MIN = 30  # RR ≥ 30/min


SEVERE_SPO2_PCT = 93  # SpO2 ≤ 93% at rest


SEVERE_PF_MMHG = 300  # PaO2/FiO2 ≤ 300 mmHg, altitude-corrected above 1,000 m


SEVERE_LESION_PROGRESSION_PCT = 50  # lesions > 50% within 24-48 h are managed as severe


ADULT_AGE = 18


# CLINICAL_FACTS §0.1 and §1.1: above 1,000 m, P/F × PB/760 (this lowers the value).
ALTITUDE_CORRECTION_ABOVE_M = 1000


SEA_LEVEL_MMHG = 760


# CLINICAL_FACTS §3 (Berlin definition, JAMA 2012): grades by P/F with PEEP or CPAP ≥ 5 cmH2O.
BERLIN_MIN_PEEP = 5


BERLIN_MILD_MAX = 300


BERLIN_MODERATE_MAX = 200


BERLIN_SEVERE_MAX = 100


# CLINICAL_FACTS §2.1 (WHO clinical progression scale, Marshall 2020): P/F 150 splits 7 from 8.
WHO_MV_PF = 150


# Hard (plausibility) limits; a value outside is an entry error, not a patient.
# CLINICAL_FACTS §4.3 for RR, SpO2, PaO2 and FiO2; the rest are engineering limits (D).
HARD_RANGES: dict[str, tuple[float, float, str]] = {
    "age_years": (0, 120, "years"),
    "respiratory_rate": (4, 80, "/min"),
    "spo2_rest_pct": (50, 100, "%"),
    "pao2_mmhg": (20, 700, "mmHg"),
    "fio2": (0.21, 1.0, "(a fraction)"),
    "altitude_m": (-500, 6000, "m"),
    "barometric_pressure_mmhg": (300, 800, "mmHg"),
    "lesion_progression_pct_48h": (-100, 1000, "%"),
    "peep_cmh2o": (0, 40, "cmH2O"),
}


class OxygenSupport(StrEnum):
    """Oxygen support at screening, as the WHO clinical progression scale counts it (§2.1)."""

    none = "none"
    mask_or_prongs = "mask_or_prongs"
    high_flow_or_niv = "high_flow_or_niv"


class Observations(BaseModel):
    """Screening observations; every field is optional unless a rule needs it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    age_years: float | None = None
    symptoms: bool | list[str] | None = None
    pneumonia_on_imaging: bool | None = None
    respiratory_rate: float | None = None
    spo2_rest_pct: float | None = None
    pao2_mmhg: float | None = None
    fio2: float | None = None
    altitude_m: float | None = None
    barometric_pressure_mmhg: float | None = None
    lesion_progression_pct_48h: float | None = None
    mechanical_ventilation: bool | None = None
    shock: bool | None = None
    organ_failure_icu: bool | None = None
    peep_cmh2o: float | None = None
    # Beyond the CLI contract's fields: the clinician's judgement of progression (see module
    # docstring) and what the WHO scale needs.
    clinician_progressing: bool | None = None
    oxygen_support: OxygenSupport | None = None
    vasopressors: bool | None = None
    dialysis_or_ecmo: bool | None = None


FIELDS = tuple(Observations.model_fields)


def parse_observations(data: Any) -> Observations:
    """Validate a JSON object of observations; the error names the first wrong field."""
    if not isinstance(data, dict):
        raise InvalidInput(
            "input: give one JSON object of observations, e.g. "
            '{"respiratory_rate": 32, "spo2_rest_pct": 91}',
            field="input",
        )
    for key in data:
        if key not in FIELDS:
            raise InvalidInput(
                f"{key}: unknown field; allowed: {', '.join(FIELDS)}", field=str(key)
            )
    if isinstance(data.get("fio2"), int | float) and 21 <= data["fio2"] <= 100:
        raise OutOfRange(
            f"fio2: {data['fio2']} is not a fraction; give FiO2 between 0.21 and 1.0 "
            f"(e.g. {data['fio2']}% is {data['fio2'] / 100:g})",
            field="fio2",
        )
    try:
        obs = Observations.model_validate(data)
    except ValidationError as exc:
        raise explain(exc) from None
    for name, (lo, hi, unit) in HARD_RANGES.items():
        value = getattr(obs, name)
        if value is None:
            continue
        if not math.isfinite(value) or not lo <= value <= hi:
            raise OutOfRange(
                f"{name}: {value:g} is implausible; allowed {lo:g}-{hi:g} {unit}", field=name
            )
    if obs.pao2_mmhg is not None and obs.fio2 is None:
        raise InvalidInput("fio2: PaO2 was given without FiO2; give both for P/F", field="fio2")
    if obs.fio2 is not None and obs.pao2_mmhg is None:
        raise InvalidInput(
            "pao2_mmhg: FiO2 was given without PaO2; give both for P/F", field="pao2_mmhg"
        )
    return obs


def estimated_pressure_mmhg(altitude_m: float) -> float:
    """Barometric pressure from altitude by the ICAO standard atmosphere (troposphere)."""
    return float(SEA_LEVEL_MMHG * (1 - 2.25577e-5 * altitude_m) ** 5.25588)


# The standard atmosphere's pressure at 1,000 m: a lower measured pressure means "above it".
PRESSURE_AT_THRESHOLD = estimated_pressure_mmhg(ALTITUDE_CORRECTION_ABOVE_M)


@dataclass(frozen=True)
class SeverityResult:
    severity: Severity
    pf_ratio: float | None
    pf_ratio_corrected: float | None
    ards_berlin: str | None
    who_scale: int | None
    reasons: list[str] = field(default_factory=list)
    progressing_basis: str | None = None

    def to_contract(self) -> dict[str, Any]:
        """The ``msctrial clinical severity --json`` output (issue 4 item 1)."""
        return {
            "severity": self.severity.value,
            "pf_ratio": self.pf_ratio,
            "pf_ratio_corrected": self.pf_ratio_corrected,
            "reasons": list(self.reasons),
            "ards_berlin": self.ards_berlin,
        }


def _round(value: float) -> float:
    return round(value, 1)


def altitude_factor(obs: Observations) -> tuple[float | None, str | None]:
    """PB/760 when the site is above 1,000 m (CLINICAL_FACTS §0.1), with how PB was known."""
    pb = obs.barometric_pressure_mmhg
    alt = obs.altitude_m
    if alt is not None and alt <= ALTITUDE_CORRECTION_ABOVE_M:
        return None, None
    if alt is None and (pb is None or pb >= PRESSURE_AT_THRESHOLD):
        return None, None
    if pb is not None:
        return pb / SEA_LEVEL_MMHG, f"measured PB {pb:g} mmHg"
    assert alt is not None
    est = estimated_pressure_mmhg(alt)
    return est / SEA_LEVEL_MMHG, f"PB {est:.0f} mmHg estimated from {alt:g} m (standard atmosphere)"


def berlin_grade(pf_corrected: float | None, peep: float | None) -> tuple[str | None, str | None]:
    """Berlin oxygenation grade (CLINICAL_FACTS §3); None when PEEP or P/F is unknown."""
    if peep is None or pf_corrected is None:
        return None, None
    if peep < BERLIN_MIN_PEEP:
        return None, (
            f"Berlin ARDS not graded: PEEP {peep:g} cmH2O is below {BERLIN_MIN_PEEP} "
            "(CLINICAL_FACTS §3)"
        )
    if pf_corrected > BERLIN_MILD_MAX:
        grade = "none"
    elif pf_corrected > BERLIN_MODERATE_MAX:
        grade = "mild"
    elif pf_corrected > BERLIN_SEVERE_MAX:
        grade = "moderate"
    else:
        grade = "severe"
    return grade, (
        f"Berlin ARDS oxygenation grade {grade}: P/F {_round(pf_corrected):g} with PEEP "
        f"{peep:g} cmH2O (CLINICAL_FACTS §3; imaging, timing and origin are for the clinician)"
    )


def who_scale(obs: Observations, pf: float | None) -> int | None:
    """WHO clinical progression scale 4-9 for a hospitalised patient (CLINICAL_FACTS §2.1)."""
    if obs.mechanical_ventilation:
        pressors = bool(obs.vasopressors or obs.shock)
        low_pf = pf is not None and pf < WHO_MV_PF
        if low_pf and (pressors or obs.dialysis_or_ecmo):
            return 9
        if low_pf or pressors:
            return 8
        return 7 if pf is not None else None
    if obs.oxygen_support is None:
        return None
    return {
        OxygenSupport.none: 4,
        OxygenSupport.mask_or_prongs: 5,
        OxygenSupport.high_flow_or_niv: 6,
    }[obs.oxygen_support]


def classify_severity(obs: Observations) -> SeverityResult:
    """The adult clinical type by NHC trial version 7 (CLINICAL_FACTS §1.1), with reasons."""
    if obs.age_years is not None and obs.age_years < ADULT_AGE:
        raise InvalidInput(
            f"age_years: the trial version 7 adult criteria apply from {ADULT_AGE} years; "
            "children have other thresholds (CLINICAL_FACTS §1.1)",
            field="age_years",
        )
    reasons: list[str] = []
    pf = corrected = None
    if obs.pao2_mmhg is not None and obs.fio2 is not None:
        pf = obs.pao2_mmhg / obs.fio2
        factor, how = altitude_factor(obs)
        corrected = pf * factor if factor else pf
        if factor:
            reasons.append(
                f"P/F {_round(pf):g} corrected for altitude × {factor:.3f} ({how}) = "
                f"{_round(corrected):g} (CLINICAL_FACTS §0.1)"
            )
    critical = [
        (obs.mechanical_ventilation, "respiratory failure needing mechanical ventilation"),
        (obs.shock, "shock"),
        (obs.organ_failure_icu, "other organ failure needing ICU care"),
    ]
    severe = [
        (
            obs.respiratory_rate is not None and obs.respiratory_rate >= SEVERE_RR_PER_MIN,
            f"RR {obs.respiratory_rate:g}/min ≥ {SEVERE_RR_PER_MIN}/min"
            if obs.respiratory_rate is not None
            else "",
        ),
        (
            obs.spo2_rest_pct is not None and obs.spo2_rest_pct <= SEVERE_SPO2_PCT,
            f"SpO2 {obs.spo2_rest_pct:g}% ≤ {SEVERE_SPO2_PCT}% at rest"
            if obs.spo2_rest_pct is not None
            else "",
        ),
        (
            corrected is not None and corrected <= SEVERE_PF_MMHG,
            f"P/F {_round(corrected):g} ≤ {SEVERE_PF_MMHG} mmHg" if corrected is not None else "",
        ),
        (
            obs.lesion_progression_pct_48h is not None
            and obs.lesion_progression_pct_48h > SEVERE_LESION_PROGRESSION_PCT,
            f"lung lesions progressed {obs.lesion_progression_pct_48h:g}% (> "
            f"{SEVERE_LESION_PROGRESSION_PCT}%) within 24-48 h, managed as severe"
            if obs.lesion_progression_pct_48h is not None
            else "",
        ),
    ]
    basis = None
    if any(hit for hit, _ in critical):
        severity = Severity.critical
        reasons += [f"critical: {text} (CLINICAL_FACTS §1.1)" for hit, text in critical if hit]
    elif any(hit for hit, _ in severe):
        severity = Severity.severe
        reasons += [f"severe: {text} (CLINICAL_FACTS §1.1)" for hit, text in severe if hit]
    elif obs.pneumonia_on_imaging is None:
        raise InvalidInput(
            "pneumonia_on_imaging: no severe or critical criterion is met, so the imaging "
            "finding is needed to tell mild from moderate (CLINICAL_FACTS §1.1)",
            field="pneumonia_on_imaging",
        )
    elif obs.pneumonia_on_imaging:
        severity = Severity.moderate
        reasons.append("moderate: pneumonia on imaging, no severe criterion (CLINICAL_FACTS §1.1)")
        if obs.clinician_progressing:
            severity = Severity.moderate_progressing
            basis = "clinician"
            reasons.append(
                "progressing to severe in the clinician's judgement of the early-warning "
                "indicators (CLINICAL_FACTS §1.2)"
            )
    else:
        severity = Severity.mild
        reasons.append("mild: no pneumonia on imaging (CLINICAL_FACTS §1.1)")
    if severity in (Severity.moderate, Severity.moderate_progressing, Severity.mild):
        unassessed = [
            name
            for name, value in (
                ("respiratory rate", obs.respiratory_rate),
                ("SpO2", obs.spo2_rest_pct),
                ("P/F", corrected),
            )
            if value is None
        ]
        if unassessed:
            reasons.append(f"not assessed: {', '.join(unassessed)}")
    grade, berlin_reason = berlin_grade(corrected, obs.peep_cmh2o)
    if berlin_reason:
        reasons.append(berlin_reason)
    scale = who_scale(obs, pf)
    if scale is not None:
        reasons.append(f"WHO clinical progression scale {scale} (CLINICAL_FACTS §2.1)")
    return SeverityResult(
        severity=severity,
        pf_ratio=_round(pf) if pf is not None else None,
        pf_ratio_corrected=_round(corrected) if corrected is not None else None,
        ards_berlin=grade,
        who_scale=scale,
        reasons=reasons,
        progressing_basis=basis,
    )


@dataclass(frozen=True)
class Air:
    """Where the blood was drawn: the site's altitude and barometric pressure, if known."""

    altitude_m: float | None = None
    barometric_pressure_mmhg: float | None = None

    @property
    def pressure_mmhg(self) -> float:
        """Measured PB, else estimated from altitude, else sea level."""
        if self.barometric_pressure_mmhg is not None:
            return self.barometric_pressure_mmhg
        if self.altitude_m is not None:
            return estimated_pressure_mmhg(self.altitude_m)
        return float(SEA_LEVEL_MMHG)
