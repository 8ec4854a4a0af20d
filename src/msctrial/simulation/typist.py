"""What a site would type into each form for a simulated patient on a study day. Pure.

The values come from the patient's biomarkers (``patients.state_on``) and are typed
the way real laboratories report them: Kunming's laboratory gives CRP in mg/dL and Beijing's
blood-gas analyser PaO2 in kPa, so the unit conversions of the edit checks are exercised.
Now and then a value is unusual (a query follows), as in any trial.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from msctrial.clinical.visits.derived import WATER_VAPOUR_MMHG
from msctrial.simulation.patients import FIO2_BY_SUPPORT, Patient, oxygen_support

KPA_PER_MMHG = 1 / 7.50062


UNUSUAL_RATE = 0.02  # share of forms with one value outside its soft range


def _r(x: float, digits: int = 1) -> float:
    return round(float(x), digits)


def _grade(recovery: float) -> str:
    if recovery < 0.3:
        return "severe"
    if recovery < 0.6:
        return "moderate"
    return "mild" if recovery < 0.85 else "none"


class Typist:
    """Types one patient's forms at one site; holds what the forms share on a visit."""

    def __init__(self, rng: np.random.Generator, site: str, pressure_mmhg: float) -> None:
        self.rng = rng
        self.site = site
        self.pressure = pressure_mmhg

    def values(
        self,
        form: str,
        p: Patient,
        state: dict[str, float],
        day: int,
        *,
        hospitalised: bool,
        discharge_on: str | None,
        msc: bool,
        effect: float,
    ) -> dict[str, Any]:
        rng = self.rng
        r = state["recovery"]
        support = (
            oxygen_support(state["pf"], p.severity == "critical", day) if hospitalised else "none"
        )
        if form == "vital_signs":
            sbp = rng.normal(122, 12)
            out: dict[str, Any] = {
                "respiratory_rate": int(
                    np.clip(30 - (state["pf"] - 150) / 25 + rng.normal(0, 2), 12, 40)
                ),
                "heart_rate": int(np.clip(84 + 22 * (1 - r) + rng.normal(0, 7), 55, 135)),
                "temperature": _r(
                    np.clip(
                        36.7 + 1.1 * max(0.0, 1 - r) * rng.random() + rng.normal(0, 0.2), 35.8, 39.6
                    )
                ),
                "spo2": int(np.clip(88 + 9 * r + rng.normal(0, 1.5), 80, 99)),
                "spo2_on_oxygen": "yes" if support != "none" else "no",
                "systolic_bp": int(sbp),
                "diastolic_bp": int(sbp - rng.uniform(35, 55)),
            }
            if rng.random() < UNUSUAL_RATE:
                out["heart_rate"] = int(rng.integers(182, 195))  # soft limit 180 (§4.3)
            return out
        if form == "blood_gas":
            low, high = FIO2_BY_SUPPORT["mechanical_ventilation" if support == "ecmo" else support]
            fio2 = round(float(rng.uniform(low, high)) * 20) / 20 if high > low else low
            paco2 = rng.normal(40, 4)
            # The analyser measures the uncorrected P/F; the alveolar gas equation caps PaO2.
            ceiling = fio2 * (self.pressure - WATER_VAPOUR_MMHG) - paco2 / 0.8
            pao2 = float(np.clip(state["pf"] * 760 / self.pressure * fio2, 42, ceiling - 3))
            out = {"fio2": fio2, "paco2": _r(paco2), "ph": _r(rng.normal(7.41, 0.03), 2)}
            out["pao2"] = (
                {"value": _r(pao2 * KPA_PER_MMHG, 2), "unit": "kPa"}
                if self.site == "BJS"
                else _r(pao2)
            )
            if support == "mechanical_ventilation":
                out["peep"] = int(rng.integers(6, 15))
            return out
        if form == "cbc":
            wbc = state["neutrophils"] + state["lymphocytes"] + rng.uniform(0.4, 0.9)
            out = {
                "wbc": _r(wbc, 2),
                "neutrophils": _r(state["neutrophils"], 2),
                "lymphocytes": _r(state["lymphocytes"], 2),
                "platelets": int(np.clip(rng.normal(215, 55), 60, 450)),
                "haemoglobin": int(np.clip(rng.normal(128, 12), 85, 165)),
            }
            if rng.random() < UNUSUAL_RATE:
                out["platelets"] = int(rng.integers(18, 29))  # soft limit 30
            return out
        if form == "lymphocyte_subsets":
            return {
                "cd3": int((state["cd4"] + state["cd8"]) * rng.uniform(1.1, 1.3)),
                "cd4": int(state["cd4"]),
                "cd8": int(state["cd8"]),
            }
        if form == "cytokines":
            return {
                "il6": _r(state["il6"]),
                "il10": _r(state["il10"]),
                "tnf_alpha": _r(state["tnf_alpha"]),
                "il2r": int(state["il2r"]),
            }
        if form == "chemistry":
            crp = (
                {"value": _r(state["crp"] / 10, 2), "unit": "mg/dL"}
                if self.site == "KMG"
                else _r(state["crp"])
            )
            return {
                "crp": crp,
                "ferritin": int(state["ferritin"]),
                "d_dimer": _r(state["d_dimer"], 2),
                "procalcitonin": _r(state["procalcitonin"], 3),
                "lactate": _r(state["lactate"]),
                "ldh": int(state["ldh"]),
            }
        if form == "imaging":
            fibrosis_risk = (0.35 if p.baseline.lesion > 30 else 0.12) * (
                (1 - 0.5 * effect) if msc else 1
            )
            return {
                "modality": "bedside_chest_film" if support == "mechanical_ventilation" else "ct",
                "lesion_proportion": _r(state["lesion"]),
                "bilateral_opacities": "yes" if state["lesion"] > 10 else "no",
                "fibrosis": "yes" if day >= 28 and rng.random() < fibrosis_risk else "no",
            }
        if form == "symptoms":
            out = {"fatigue": _grade(r), "dyspnoea": _grade(r + 0.05), "cough": _grade(r + 0.1)}
            if not hospitalised:
                out["six_minute_walk"] = int(np.clip(300 + 250 * r + rng.normal(0, 40), 100, 700))
            return out
        if form == "who_scale":
            if not hospitalised:
                return {
                    "hospitalised": "no",
                    "oxygen_support": "none",
                    "symptomatic": "yes" if r < 0.95 else "no",
                    "viral_rna_detected": "yes" if day < 21 else "no",
                }
            dying = r < 0
            return {
                "hospitalised": "yes",
                "oxygen_support": support,
                "vasopressors": "yes"
                if dying and support == "mechanical_ventilation" and rng.random() < 0.5
                else "no",
                "dialysis": "no",
            }
        if form == "hospital_status":
            if not hospitalised and discharge_on:
                return {"status": "discharged", "discharge_date": discharge_on}
            return {"status": "icu" if support == "mechanical_ventilation" else "ward"}
        raise ValueError(f"no simulated values for the form {form!r}")
