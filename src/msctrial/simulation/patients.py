"""Simulated patients: who they are, how ill, and how their biomarkers move day by day. Pure.

Every draw comes from the ``numpy.random.Generator`` passed in, so a seed gives the same
patients. A patient has a latent course: survivors recover with a time constant τ (days),
shorter on MSC by ``treatment_effect``; patients who die worsen towards their day of death.
Each biomarker moves from its baseline towards its recovered value along that course, with
measurement noise; numbers are realistic for severe COVID-19 and cite CLINICAL_FACTS.

The treatment effect (0 = none, 1 = full) scales two things: the hazard of death, by
1 − 0.65 × effect (at 1 it matches the pooled RCTs' 7.6 % vs 21.5 % 28-day mortality,
CLINICAL_FACTS §8.1), and the recovery time constant, by 1 − 0.35 × effect.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

# 28-day mortality without MSC by severity: the pooled control arms' 21.5 % (CLINICAL_FACTS
# §8.1) for the trial's severe/critical mix; critical patients fare like Berlin moderate-severe
# ARDS (32-45 %, §3, M).
CONTROL_MORTALITY = {"critical": 0.40, "severe": 0.15, "moderate_progressing": 0.04}


MORTALITY_REDUCTION = 0.65  # × effect: the hazard ratio 0.35 ≈ 7.6 % / 21.5 % (§8.1)


RECOVERY_SPEEDUP = 0.35  # × effect: shorter recovery time constant on MSC


SEVERITY_MIX = (("severe", 0.65), ("critical", 0.20), ("moderate_progressing", 0.15))


# Serious adverse events in about a quarter of patients in both arms, none related
# (Monsel 2022: 28.6 % vs 25 %, CLINICAL_FACTS §8.1).
SAE_RISK = 0.25


@dataclass(frozen=True)
class Baseline:
    """A patient's values at screening, before any recovery."""

    pf: float  # sea-level-equivalent PaO2/FiO2, mmHg
    lymphocytes: float  # 10^9/L
    nlr: float
    il6: float  # pg/mL
    il10: float
    tnf_alpha: float
    il2r: float  # U/mL
    crp: float  # mg/L
    ferritin: float  # ug/L
    d_dimer: float  # mg/L FEU
    procalcitonin: float  # ng/mL
    lactate: float  # mmol/L
    ldh: float  # U/L
    cd4: float  # /uL
    cd8: float
    lesion: float  # % of lung volume


@dataclass(frozen=True)
class Patient:
    site: str
    year_of_birth: int
    sex: str
    weight_kg: float
    severity: str
    baseline: Baseline
    tau_days: float  # recovery time constant if treated as the control arm
    death_draw: float  # uniform: the patient dies if it falls below the arm's mortality
    death_day: int
    withdraw_draw: float
    withdraw_day: int
    screen_failure: bool

    def tau(self, msc: bool, effect: float) -> float:
        return self.tau_days * (1 - RECOVERY_SPEEDUP * effect) if msc else self.tau_days

    def mortality(self, msc: bool, effect: float) -> float:
        base = CONTROL_MORTALITY[self.severity]
        return base * (1 - MORTALITY_REDUCTION * effect) if msc else base

    def dies(self, msc: bool, effect: float) -> bool:
        """Nature's draw is made before randomisation; the arm only moves the threshold."""
        return self.death_draw < self.mortality(msc, effect)


def _u(rng: np.random.Generator, low: float, high: float) -> float:
    return float(rng.uniform(low, high))


def _logn(rng: np.random.Generator, median: float, spread: float = 0.35) -> float:
    return float(median * math.exp(rng.normal(0.0, spread)))


def draw_patient(
    rng: np.random.Generator,
    *,
    site: str,
    year: int,
    screen_failure_rate: float,
) -> Patient:
    """One patient, drawn before randomisation: the same draws whatever the arm."""
    severity = str(rng.choice([s for s, _ in SEVERITY_MIX], p=[p for _, p in SEVERITY_MIX]))
    critical = severity == "critical"
    # Baselines: P/F ≤ 300 is severe (§1.1), < 150 on a ventilator is WHO 8 (§2.1); NLR and
    # lymphocytes as in severe patients (Liu J 2020 NLR ≥ 3.13; ALC < 1.1, §4.1); IL-6, IL-10,
    # TNF-α, IL-2R above their reference limits (§4.2); CD4/CD8 like Chen G's severe group
    # (177.5/89 per µL, §4.1); CRP, ferritin, D-dimer around Cui's risk thresholds (§4.1).
    pf = {"critical": _u(rng, 80, 150), "severe": _u(rng, 150, 290)}.get(
        severity, _u(rng, 310, 380)
    )
    lymph = _u(rng, 0.35, 0.8) if severity != "moderate_progressing" else _u(rng, 0.7, 1.1)
    baseline = Baseline(
        pf=pf,
        lymphocytes=lymph,
        nlr=_logn(rng, 9.0 if critical else 6.0),
        il6=_logn(rng, 70 if critical else 35, 0.5),
        il10=_logn(rng, 14, 0.3),
        tnf_alpha=_logn(rng, 11, 0.3),
        il2r=_logn(rng, 1100, 0.3),
        crp=_logn(rng, 90 if critical else 55, 0.4),
        ferritin=_logn(rng, 900 if critical else 600, 0.4),
        d_dimer=_logn(rng, 1.8 if critical else 0.9, 0.5),
        procalcitonin=_logn(rng, 0.25 if critical else 0.08, 0.5),
        lactate=_u(rng, 1.6, 3.2) if critical else _u(rng, 1.0, 2.2),
        ldh=_logn(rng, 420 if critical else 320, 0.2),
        cd4=_logn(rng, 180, 0.3),
        cd8=_logn(rng, 95, 0.3),
        lesion=_u(rng, 30, 60) if critical else _u(rng, 15, 45),
    )
    return Patient(
        site=site,
        year_of_birth=year - int(rng.integers(30, 76)),
        sex=str(rng.choice(["female", "male"], p=[0.42, 0.58])),
        weight_kg=round(_u(rng, 50, 95), 1),
        severity=severity,
        baseline=baseline,
        tau_days=_logn(rng, 9.0 if critical else 6.5, 0.25),
        death_draw=float(rng.random()),
        death_day=int(rng.integers(4, 27)),
        withdraw_draw=float(rng.random()),
        withdraw_day=int(rng.integers(3, 60)),
        screen_failure=bool(rng.random() < screen_failure_rate),
    )


def screening_observations(
    p: Patient, rng: np.random.Generator, pressure_mmhg: float
) -> dict[str, Any]:
    """What the screening form records (the contract of ``clinical.severity``)."""
    measured_pf = p.baseline.pf * 760 / pressure_mmhg  # the altitude lowers the corrected value
    fio2 = {"critical": round(_u(rng, 0.5, 0.9), 2), "severe": round(_u(rng, 0.33, 0.5), 2)}.get(
        p.severity, 0.21
    )
    obs: dict[str, Any] = {
        "pneumonia_on_imaging": True,
        "respiratory_rate": round(_u(rng, 22, 34)),
        "spo2_rest_pct": round(_u(rng, 85, 93))
        if p.severity != "moderate_progressing"
        else round(_u(rng, 94, 97)),
        "pao2_mmhg": round(min(measured_pf * fio2, 500), 1),
        "fio2": fio2,
    }
    if p.severity == "critical":
        obs.update(mechanical_ventilation=True, peep_cmh2o=round(_u(rng, 6, 14)))
    if p.severity == "moderate_progressing":
        obs.update(respiratory_rate=round(_u(rng, 20, 28)), clinician_progressing=True)
    return obs


def discharge_day(p: Patient, msc: bool, effect: float) -> int | None:
    """The first day the patient is well enough to go home (85 % of the way), at least day 7."""
    if p.dies(msc, effect):
        return None
    return max(7, math.ceil(-p.tau(msc, effect) * math.log(0.15)))


def course(p: Patient, day: float, msc: bool, effect: float) -> float:
    """How far the patient has come back to health on ``day``: 0 at baseline, 1 recovered;
    negative for a patient worsening towards death."""
    if p.dies(msc, effect):
        return -0.8 * min(day / p.death_day, 1.0)
    return 1 - math.exp(-max(day, 0) / p.tau(msc, effect))


def _towards(start: float, end: float, r: float) -> float:
    return start + (end - start) * r


def state_on(
    p: Patient, day: float, msc: bool, effect: float, rng: np.random.Generator
) -> dict[str, float]:
    """The patient's biomarkers on a study day (canonical units), with measurement noise."""
    r = course(p, day, msc, effect)
    b = p.baseline

    def lab(start: float, well: float, noise: float = 0.12, low: float = 0.0) -> float:
        return max(low, _towards(start, well, r) * math.exp(rng.normal(0, noise)))

    pf = max(45.0, min(560.0, _towards(b.pf, 420.0, r) + rng.normal(0, 15)))
    lymph = lab(b.lymphocytes, 1.6, low=0.1)
    nlr = lab(b.nlr, 2.2, low=0.8)
    return {
        "pf": pf,
        "lymphocytes": lymph,
        "neutrophils": lymph * nlr,
        "il6": lab(b.il6, 4.0, 0.2, 0.5),
        "il10": lab(b.il10, 5.0, low=0.5),
        "tnf_alpha": lab(b.tnf_alpha, 6.0, low=0.5),
        "il2r": lab(b.il2r, 500.0, low=50),
        "crp": lab(b.crp, 4.0, 0.2, 0.3),
        "ferritin": lab(b.ferritin, 250.0, low=10),
        "d_dimer": lab(b.d_dimer, 0.4, low=0.05),
        "procalcitonin": lab(b.procalcitonin, 0.04, low=0.01),
        "lactate": lab(b.lactate, 1.1, 0.1, 0.4),
        "ldh": lab(b.ldh, 200.0, 0.1, 60),
        "cd4": lab(b.cd4, 650.0, low=20),
        "cd8": lab(b.cd8, 380.0, low=10),
        "lesion": max(0.0, min(95.0, _towards(b.lesion, 4.0, r) + rng.normal(0, 2))),
        "recovery": r,
    }


def oxygen_support(pf: float, ventilated_at_start: bool, day: float) -> str:
    """Support matching the oxygenation, WHO scale levels (CLINICAL_FACTS §2.1)."""
    if pf < 150 and (ventilated_at_start or day > 0):
        return "mechanical_ventilation"
    if pf < 200:
        return "high_flow_or_niv"
    if pf < 300:
        return "mask_or_prongs"
    return "none"


FIO2_BY_SUPPORT = {
    "none": (0.21, 0.21),
    "mask_or_prongs": (0.28, 0.45),
    "high_flow_or_niv": (0.45, 0.7),
    "mechanical_ventilation": (0.4, 0.8),
}
