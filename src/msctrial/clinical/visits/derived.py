"""Values computed from what a site entered: P/F with the altitude correction, NLR, CD4/CD8, WHO.

Pure. Derived values are never typed in (CLINICAL_FACTS §4.3: "compute it, don't accept it as
entered"); ``derive`` returns them for one form, in the form's canonical units, with a note
where the number needs a caveat (an estimated FiO2, an estimated barometric pressure).
The altitude factor and the hospitalised part of the WHO scale are the screening rules of
``subjects.severity``, reused so that screening and follow-up visits agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from msctrial.clinical.subjects.severity import (
    Air,
    Observations,
    OxygenSupport,
    altitude_factor,
    who_scale,
)
from msctrial.core.errors import InvalidInput

# Alveolar gas equation (CLINICAL_FACTS §4.3): PAO2 = FiO2 × (PB − 47) − PaCO2 / 0.8, where
# 47 mmHg is water-vapour pressure at 37 °C and 0.8 the respiratory quotient.
WATER_VAPOUR_MMHG = 47.0


RESPIRATORY_QUOTIENT = 0.8


@dataclass(frozen=True)
class Derived:
    values: dict[str, float] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)


def oxygenation_index(pao2_mmhg: float, fio2: float) -> float:
    """PaO2/FiO2 in mmHg; FiO2 is a fraction (0.21-1.0)."""
    if not 0 < fio2 <= 1:
        raise InvalidInput("fio2: give FiO2 as a fraction between 0.21 and 1.0", field="fio2")
    return pao2_mmhg / fio2


def corrected_oxygenation_index(pf: float, air: Air) -> tuple[float, str | None]:
    """P/F × PB/760 above 1,000 m (CLINICAL_FACTS §0.1; the factor is below 1 at altitude)."""
    factor, how = altitude_factor(
        Observations(
            altitude_m=air.altitude_m, barometric_pressure_mmhg=air.barometric_pressure_mmhg
        )
    )
    if factor is None:
        return pf, None
    return pf * factor, f"× {factor:.3f} for altitude ({how})"


def alveolar_po2(fio2: float, pressure_mmhg: float, paco2_mmhg: float | None) -> float:
    """The most oxygen the alveoli can hold; a PaO2 above it is an entry error.

    Without a PaCO2 the CO2 term is left out, which gives the most lenient ceiling.
    """
    co2 = (paco2_mmhg or 0.0) / RESPIRATORY_QUOTIENT
    return fio2 * (pressure_mmhg - WATER_VAPOUR_MMHG) - co2


def neutrophil_lymphocyte_ratio(neutrophils: float, lymphocytes: float) -> float | None:
    """NLR from absolute counts (CLINICAL_FACTS §4.1); undefined with no lymphocytes."""
    return neutrophils / lymphocytes if lymphocytes > 0 else None


def lymphocyte_percent(lymphocytes: float, wbc: float) -> float | None:
    """LYM% of the white count (Tan L 2020's Time-LYM% model, CLINICAL_FACTS §4.1)."""
    return 100.0 * lymphocytes / wbc if wbc > 0 else None


def cd4_cd8_ratio(cd4: float, cd8: float) -> float | None:
    return cd4 / cd8 if cd8 > 0 else None


def mean_arterial_pressure(systolic: float, diastolic: float) -> float:
    return (systolic + 2 * diastolic) / 3


_SUPPORT = {
    "none": OxygenSupport.none,
    "mask_or_prongs": OxygenSupport.mask_or_prongs,
    "high_flow_or_niv": OxygenSupport.high_flow_or_niv,
}


def who_progression_scale(values: Mapping[str, Any], visit_pf: float | None) -> int:
    """WHO clinical progression scale 0-10 (Marshall 2020, CLINICAL_FACTS §2.1).

    10 dead; 0-3 ambulatory (uninfected, asymptomatic with RNA, symptomatic independent,
    needing assistance); 4-9 hospitalised, by ``severity.who_scale`` from the oxygen support,
    vasopressors, dialysis or ECMO and, on a ventilator, the P/F of the same visit.
    """
    if values.get("dead"):
        return 10
    if not values.get("hospitalised"):
        if values.get("oxygen_support") not in (None, "none"):
            raise InvalidInput(
                "oxygen_support: a patient who is not hospitalised has no oxygen support on "
                "this scale; tick hospitalised or choose none",
                field="who_scale.oxygen_support",
            )
        if not values.get("viral_rna_detected") and not values.get("symptomatic"):
            return 0
        if not values.get("symptomatic"):
            return 1
        return 3 if values.get("assistance_needed") else 2
    support = values.get("oxygen_support") or "none"
    ventilated = support in ("mechanical_ventilation", "ecmo")
    if ventilated and visit_pf is None:
        raise InvalidInput(
            "blood_gas: on mechanical ventilation the WHO scale (7, 8 or 9) depends on P/F; "
            "enter this visit's blood gas first (CLINICAL_FACTS §2.1)",
            field="blood_gas",
        )
    obs = Observations(
        mechanical_ventilation=ventilated,
        oxygen_support=None if ventilated else _SUPPORT[support],
        vasopressors=bool(values.get("vasopressors")),
        dialysis_or_ecmo=bool(values.get("dialysis")) or support == "ecmo",
    )
    score = who_scale(obs, visit_pf)
    assert score is not None  # the support and, when ventilated, the P/F are known here
    return score


def derive(
    form: str, values: Mapping[str, Any], air: Air = Air(), visit_pf: float | None = None
) -> Derived:
    """The derived items of ``form`` from its entered values (canonical units)."""
    out: dict[str, float] = {}
    notes: dict[str, str] = {}
    v = values
    if form == "blood_gas" and v.get("pao2") is not None and v.get("fio2") is not None:
        pf = oxygenation_index(v["pao2"], v["fio2"])
        out["pf_ratio"] = pf
        out["pf_ratio_corrected"], how = corrected_oxygenation_index(pf, air)
        if how:
            notes["pf_ratio_corrected"] = how
        if v.get("fio2_estimated"):
            notes["pf_ratio"] = "from an estimated FiO2 (CLINICAL_FACTS §4.3)"
    elif (
        form == "vital_signs"
        and v.get("systolic_bp") is not None
        and v.get("diastolic_bp") is not None
    ):
        out["mean_arterial_pressure"] = mean_arterial_pressure(v["systolic_bp"], v["diastolic_bp"])
    elif form == "cbc":
        nlr = neutrophil_lymphocyte_ratio(v["neutrophils"], v["lymphocytes"])
        pct = lymphocyte_percent(v["lymphocytes"], v["wbc"])
        if nlr is not None:
            out["nlr"] = nlr
        if pct is not None:
            out["lymphocyte_percent"] = pct
    elif form == "lymphocyte_subsets":
        ratio = cd4_cd8_ratio(v["cd4"], v["cd8"])
        if ratio is not None:
            out["cd4_cd8_ratio"] = ratio
    elif form == "who_scale":
        out["who_score"] = float(who_progression_scale(v, visit_pf))
    return Derived(out, notes)
