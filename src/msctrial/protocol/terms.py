"""The protocol's vocabulary: severity classes, arm and product kinds, routes, design terms,
phases and endpoint measures, as enumerations shared by the protocol, the registry survey and
the clinical package. Pure data; ``model`` re-exports every name.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """COVID-19 clinical types (China NHC protocol, trial version 7; CLINICAL_FACTS §1.1)."""

    mild = "mild"
    moderate = "moderate"  # 普通型, "common" or "ordinary" type
    moderate_progressing = "moderate_progressing"  # common type progressing to severe
    severe = "severe"
    critical = "critical"


class ArmType(StrEnum):
    experimental = "experimental"
    placebo = "placebo"
    standard_care = "standard_care"
    active_comparator = "active_comparator"


class ProductKind(StrEnum):
    cells = "cells"
    extracellular_vesicles = "extracellular_vesicles"
    secretome = "secretome"
    placebo = "placebo"
    none = "none"


class TissueSource(StrEnum):
    umbilical_cord = "umbilical_cord"
    wharton_jelly = "wharton_jelly"
    bone_marrow = "bone_marrow"
    adipose = "adipose"
    dental_pulp = "dental_pulp"
    placenta = "placenta"
    menstrual_blood = "menstrual_blood"
    olfactory_mucosa = "olfactory_mucosa"
    cord_blood = "cord_blood"
    amniotic = "amniotic"
    unspecified = "unspecified"


class Donor(StrEnum):
    allogeneic = "allogeneic"
    autologous = "autologous"


class Route(StrEnum):
    intravenous = "intravenous"
    inhalation = "inhalation"
    intratracheal = "intratracheal"
    intramuscular = "intramuscular"
    intranasal = "intranasal"
    other = "other"


class DoseUnit(StrEnum):
    cells_per_kg = "cells/kg"
    cells = "cells"  # per administration, whatever the body weight
    particles = "particles"  # extracellular vesicles
    particles_per_kg = "particles/kg"
    ml = "mL"  # a volume only (placebo, secretome)


class Allocation(StrEnum):
    randomised = "randomised"
    non_randomised = "non_randomised"
    single_arm = "single_arm"


class Masking(StrEnum):
    none = "none"
    single = "single"
    double = "double"
    triple = "triple"
    quadruple = "quadruple"

    @property
    def at_least_double(self) -> bool:
        return self in (Masking.double, Masking.triple, Masking.quadruple)


class ControlType(StrEnum):
    placebo = "placebo"
    standard_care = "standard_care"
    active = "active"
    none = "none"


class Phase(StrEnum):
    """ClinicalTrials.gov API v2 phase enumeration."""

    EARLY_PHASE1 = "EARLY_PHASE1"
    PHASE1 = "PHASE1"
    PHASE2 = "PHASE2"
    PHASE3 = "PHASE3"
    PHASE4 = "PHASE4"
    NA = "NA"


class Measure(StrEnum):
    """What an endpoint measures, in the guidance's own categories (DOMAIN §4)."""

    oxygenation_index = "oxygenation_index"  # PaO2/FiO2
    inflammatory_factors = "inflammatory_factors"  # IL-6, TNF-α, CRP, ...
    lung_imaging = "lung_imaging"  # CT or chest film lesions
    pulmonary_fibrosis = "pulmonary_fibrosis"
    spo2 = "spo2"
    time_to_clinical_improvement = "time_to_clinical_improvement"
    clinical_status_scale = "clinical_status_scale"  # WHO scale and similar
    mortality = "mortality"
    symptoms = "symptoms"  # fatigue, dyspnoea
    immune_cells = "immune_cells"  # lymphocyte counts and subsets
    viral_clearance = "viral_clearance"
    hospital_stay = "hospital_stay"
    organ_function = "organ_function"
    lung_function = "lung_function"
    adverse_events = "adverse_events"
    infusion_reactions = "infusion_reactions"  # all four expected reactions together
    fever = "fever"
    chills = "chills"
    allergic_reaction = "allergic_reaction"
    local_inflammation = "local_inflammation"
    other = "other"


_PHASE_TEXT = {
    "early 1": Phase.EARLY_PHASE1,
    "early phase 1": Phase.EARLY_PHASE1,
    "early_phase1": Phase.EARLY_PHASE1,
    "0": Phase.EARLY_PHASE1,
    "1": Phase.PHASE1,
    "phase 1": Phase.PHASE1,
    "2": Phase.PHASE2,
    "phase 2": Phase.PHASE2,
    "3": Phase.PHASE3,
    "phase 3": Phase.PHASE3,
    "4": Phase.PHASE4,
    "phase 4": Phase.PHASE4,
    "n/a": Phase.NA,
    "na": Phase.NA,
    "not applicable": Phase.NA,
}


def parse_phases(value: Any) -> list[Phase]:
    """'1/2', '1-2', 'early 1', 'n/a', ['PHASE1', 'PHASE2'] → API v2 phase list."""
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else [value]
    out: list[Phase] = []
    for item in items:
        text = str(item).strip()
        if text.upper() in Phase.__members__:
            out.append(Phase[text.upper()])
            continue
        low = text.lower().replace("phase", "phase ").replace("  ", " ").strip()
        if low in _PHASE_TEXT:
            out.append(_PHASE_TEXT[low])
            continue
        parts = [p.strip() for p in re.split(r"[/,\-–]", low) if p.strip()]
        if len(parts) > 1 and all(p in _PHASE_TEXT for p in parts):
            out.extend(_PHASE_TEXT[p] for p in parts)
            continue
        raise ValueError(
            f"{text!r} is not a phase; use e.g. 'early 1', '1', '1/2', '2', '3', 'n/a' "
            "or the API v2 names EARLY_PHASE1, PHASE1 … PHASE4, NA"
        )
    return list(dict.fromkeys(out))
