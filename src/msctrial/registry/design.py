"""A registry record → the extracted design (the ``extract`` contract), its ``Protocol``
(``protocol_of``) and the expert-guidance findings for it.

Trial-level values come from the MSC arms: the dose levels of all of them, the most
administrations any of them gives, the shortest interval, and each value's evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from msctrial.protocol.guidance import check_guidance
from msctrial.protocol.model import Protocol
from msctrial.protocol.ruleset import Guidance
from msctrial.registry import classify as cl
from msctrial.registry import combination as combo
from msctrial.registry.dosetext import sentences
from msctrial.registry.extract import (
    ArmDosing,
    Text,
    arm_texts,
    fallback_texts,
    linked_interventions,
    read_dosing,
)
from msctrial.registry.ictrp import source_name
from msctrial.registry.model import (
    DoseLevel,
    Evidence,
    ExtractedDesign,
    FindingOut,
    PrimaryOutcome,
    Study,
)
from msctrial.registry.protocol_of import build_protocol, measure_of


@dataclass(frozen=True)
class Extraction:
    design: ExtractedDesign
    protocol: Protocol | None


def extract_design(
    study: Study, guidance: Guidance | None = None, weights_kg: tuple[float, float] = (50.0, 100.0)
) -> Extraction:
    """The extracted design of one study and, for an MSC trial, its protocol and findings."""
    cls = cl.classify(study)
    evidence: dict[str, Evidence] = {
        "is_msc_trial": Evidence(source=cls.source, text=cls.reason[:600]),
    }
    common = _common_fields(study, evidence)
    ids: dict[str, Any] = {
        "trial_id": study.trial_id, "registry": study.registry, "nct_id": study.nct_id,
    }  # fmt: skip
    if not cls.is_msc:
        return Extraction(
            ExtractedDesign(**ids, is_msc_trial=False, evidence=evidence, **common),
            None,
        )
    msc_arms = _msc_arms(study, cls.msc_interventions)
    product_texts = _product_texts(study, cls.msc_interventions, msc_arms)
    arm_products = {
        a: cl.product_of(
            " ".join(t for _, t in arm_texts(study, a, cls.msc_interventions))
            + " "
            + _arm_label(study, a)
        )
        for a in msc_arms
    }
    product = next(
        (p for p in ("cells", "extracellular_vesicles", "secretome") if p in arm_products.values()),
        "cells",
    )
    evidence["product_type"] = Evidence(source=product_texts[0][0], text=product_texts[0][1][:600])
    source = cl.cell_source(product_texts)
    donor = cl.donor(product_texts)
    if source:
        evidence["cell_source"] = Evidence(
            source=source[1], text=_around(source[2], cl.SOURCES, source[0])
        )
    if donor:
        evidence["donor"] = Evidence(source=donor[1], text=_around(donor[2], cl._DONOR, donor[0]))
    fallback = fallback_texts(study)
    dosing = {
        a: read_dosing(arm_texts(study, a, cls.msc_interventions), fallback, arm_products[a])
        for a in msc_arms
    }
    fields = _trial_dosing(dosing, evidence)
    combined = combinations(study, cls.msc_interventions, msc_arms)
    if combined:
        evidence["combined_with"] = Evidence(
            source="; ".join(dict.fromkeys(c.source for c in combined)),
            text=" | ".join(dict.fromkeys(c.text for c in combined))[:1000],
        )
    design = ExtractedDesign(
        **ids,
        is_msc_trial=True,
        product_type=product,  # type: ignore[arg-type]
        cell_source=(source[0] if source else "unspecified"),  # type: ignore[arg-type]
        donor=(donor[0] if donor else None),  # type: ignore[arg-type]
        evidence=evidence,
        combined_with=list(dict.fromkeys(c.agent for c in combined)),
        **fields,
        **common,
    )
    protocol = build_protocol(study, design, msc_arms, arm_products, dosing, evidence)
    findings = check_guidance(protocol, guidance, weights_kg)
    design = design.model_copy(
        update={
            "findings": [FindingOut(**f.to_dict()) for f in findings],  # type: ignore[arg-type]
            "evidence": dict(evidence),  # with what the protocol's arms and design added
        }
    )
    if study.source_format.startswith(("ictrp", "chictr")):
        named = {
            k: Evidence(source=source_name(study, v.source), text=v.text)
            for k, v in design.evidence.items()
        }
        design = design.model_copy(update={"evidence": named})
    return Extraction(design, protocol)


def combinations(
    study: Study, msc: tuple[int, ...], arms: list[int | None]
) -> list[combo.Combination]:
    """What the MSC arms give besides the MSC product, each with where it was read."""
    found: list[combo.Combination] = []
    words = cl.MSC_TERMS
    for a in arms:
        if a is None:
            continue
        arm = study.arms[a]
        for i in sorted(linked_interventions(study, arm) - set(msc)):
            iv = study.interventions[i]
            other = combo.other_intervention(
                f"armsInterventionsModule.interventions[{i}]", iv.type, iv.name, iv.description
            )
            if other and not cl.mentions_msc(cl.intervention_text(iv)):
                found.append(other)
        path = f"armsInterventionsModule.armGroups[{a}].description"
        found += combo.named_with_msc(path, cl.arm_text(arm), words)
    for i in msc:
        path = f"armsInterventionsModule.interventions[{i}]"
        found += combo.named_with_msc(path, cl.intervention_text(study.interventions[i]), words)
    for path, title in (
        ("identificationModule.briefTitle", study.brief_title),
        ("identificationModule.officialTitle", study.official_title),
    ):
        found += combo.named_with_msc(path, title or "", words)
    unique: dict[str, combo.Combination] = {}
    for c in found:
        unique.setdefault(c.agent, c)
    return list(unique.values())


def _arm_label(study: Study, arm: int | None) -> str:
    return study.arms[arm].label if arm is not None else ""


def _around(text: str, patterns: list[tuple[str, re.Pattern[str]]], value: str) -> str:
    m = dict(patterns)[value].search(text)
    if not m:
        return text[:300]
    for s in sentences(text):
        if s.start <= m.start() < s.end:
            return text[s.start : s.end].strip()[:600]
    return text[:300]


def _common_fields(study: Study, evidence: dict[str, Evidence]) -> dict[str, Any]:
    # a short record's own text (ICTRP's "Target size: Experimental group:30;…") when kept
    said = study.stated
    if study.phases:
        evidence["phases"] = said.get("phases") or Evidence(
            source="designModule.phases", text=", ".join(p.value for p in study.phases)
        )
    if study.enrollment is not None:
        evidence["enrollment"] = said.get("enrollment") or Evidence(
            source="designModule.enrollmentInfo.count", text=str(study.enrollment)
        )
    if study.countries:
        evidence["countries"] = said.get("countries") or Evidence(
            source="contactsLocationsModule.locations[].country", text=", ".join(study.countries)
        )
    outcomes = [
        PrimaryOutcome(
            measure=o.measure,
            time_frame=o.time_frame,
            category=(m.value if (m := measure_of(f"{o.measure} {o.description or ''}")) else None),
        )
        for o in study.primary_outcomes
    ]
    if outcomes:
        evidence["primary_outcomes"] = Evidence(
            source="outcomesModule.primaryOutcomes",
            text="; ".join(f"{o.measure} ({o.time_frame or 'no time frame'})" for o in outcomes)[
                :1000
            ],
        )
    return {
        "phases": study.phases,
        "enrollment": study.enrollment,
        "countries": study.countries,
        "primary_outcomes": outcomes,
    }


def _msc_arms(study: Study, msc: tuple[int, ...]) -> list[int | None]:
    arms: list[int | None] = []
    for j, arm in enumerate(study.arms):
        if cl.is_control_arm(arm):
            continue
        linked = linked_interventions(study, arm)
        if linked & set(msc) or cl.mentions_msc(cl.arm_text(arm)):
            arms.append(j)
    if not arms:
        arms = [j for j, arm in enumerate(study.arms) if not cl.is_control_arm(arm)][:1]  # type: ignore[assignment]
    return arms or [None]


def _product_texts(study: Study, msc: tuple[int, ...], arms: list[int | None]) -> list[Text]:
    out: list[Text] = []
    for i in msc:
        out.append(
            (
                f"armsInterventionsModule.interventions[{i}]",
                cl.intervention_text(study.interventions[i]),
            )
        )
    for a in arms:
        if a is not None:
            out.append((f"armsInterventionsModule.armGroups[{a}]", cl.arm_text(study.arms[a])))
    for path, title in (
        ("identificationModule.briefTitle", study.brief_title),
        ("identificationModule.officialTitle", study.official_title),
    ):
        if title:
            out.append((path, title))
    return out or [("identificationModule", study.title)]


def _trial_dosing(
    dosing: dict[int | None, ArmDosing], evidence: dict[str, Evidence]
) -> dict[str, Any]:
    levels: dict[tuple[float, str, float | None], DoseLevel] = {}
    for d in dosing.values():
        for level in d.levels:
            levels.setdefault((round(level.value, 6), level.unit, level.max), level)
    ordered = sorted(levels.values(), key=lambda x: (x.unit, x.value))
    arms = list(dosing.values())
    dosed = next((d for d in arms if "dose" in d.evidence), None)
    if dosed is not None:
        evidence["dose_value" if len(ordered) == 1 else "dose_levels"] = dosed.evidence["dose"]
        if len(ordered) > 1:
            quotes = [d.evidence["dose"] for d in arms if "dose" in d.evidence]
            evidence["dose_levels"] = Evidence(
                source="; ".join(dict.fromkeys(q.source for q in quotes)),
                text=" | ".join(dict.fromkeys(q.text for q in quotes))[:1500],
            )
    counts = [(d.administrations, d) for d in arms if d.administrations is not None]
    most = max(counts, key=lambda c: c[0], default=None)
    with_days = next((d for d in arms if d.all_days), None)
    intervals = [(d.min_interval, d) for d in arms if d.min_interval is not None]
    shortest = min(intervals, key=lambda c: c[0], default=None)
    routed = next((d for d in arms if d.route), None)
    for key, arm in (
        ("administrations", most[1] if most else None),
        ("schedule_days", with_days),
        ("min_interval_days", shortest[1] if shortest else None),
        ("route", routed),
    ):
        if arm is not None and key in arm.evidence:
            evidence[key] = arm.evidence[key]
    return {
        "dose_value": ordered[0].value if len(ordered) == 1 else None,
        "dose_unit": ordered[0].unit if len(ordered) == 1 else None,
        "dose_levels": ordered,
        "administrations": most[0] if most else None,
        "schedule_days": with_days.all_days if with_days else None,
        "min_interval_days": shortest[0] if shortest else None,
        "route": routed.route if routed else None,
    }
