"""A registry record → the extracted design (the ``extract`` contract) and a ``Protocol``.

The protocol is built only from what the record states, so the same expert-guidance rules that
judge a user's protocol judge a registered trial, and stay silent about what it leaves unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from msctrial.protocol.guidance import Guidance, check_guidance
from msctrial.protocol.model import (
    Allocation,
    Arm,
    ArmType,
    ControlType,
    Design,
    Donor,
    Dose,
    DoseUnit,
    Dosing,
    Eligibility,
    Endpoint,
    Endpoints,
    Masking,
    Measure,
    ProductKind,
    Protocol,
    Route,
    SampleSize,
    Schedule,
    Severity,
    TissueSource,
)
from msctrial.registry import classify as cl
from msctrial.registry.dosetext import clean, sentences, time_points
from msctrial.registry.extract import ArmDosing, Text, arm_texts, fallback_texts, read_dosing
from msctrial.registry.model import (
    DoseLevel,
    Evidence,
    ExtractedDesign,
    FindingOut,
    Outcome,
    PrimaryOutcome,
    Study,
)

# What an outcome measures, in the guidance's categories (DOMAIN §4); most specific first.
_MEASURES: list[tuple[Measure, re.Pattern[str]]] = [
    (
        Measure.infusion_reactions,
        re.compile(r"infusion[- ]associated|infusion[- ]related|infusional", re.I),
    ),
    (
        Measure.local_inflammation,
        re.compile(r"local\s+(?:inflammat|reaction)|injection[- ]site", re.I),
    ),
    (Measure.fever, re.compile(r"\bfever|pyrexia", re.I)),
    (Measure.chills, re.compile(r"chills|\brigou?rs?\b", re.I)),
    (Measure.allergic_reaction, re.compile(r"allerg|anaphyla|hypersensitivity", re.I)),
    (
        Measure.oxygenation_index,
        re.compile(r"PaO2\s*/\s*FiO2|oxygenation\s+index|P/F\s+ratio|\bPF\s+ratio", re.I),
    ),
    (
        Measure.time_to_clinical_improvement,
        re.compile(r"time\s+to\s+clinical\s+improvement|\bTTC?I\b|\bTTIC\b", re.I),
    ),
    (Measure.pulmonary_fibrosis, re.compile(r"fibrosis", re.I)),
    (
        Measure.lung_imaging,
        re.compile(
            r"\bCT\b|chest|radiograph|x-ray|imaging|lesion|ground[- ]glass|lung\s+volume", re.I
        ),
    ),
    (
        Measure.inflammatory_factors,
        re.compile(
            r"TNF|IL-\d|interleukin|cytokine|inflammat|\bCRP\b|C-reactive|immune\s+function|ferritin",
            re.I,
        ),
    ),
    (Measure.spo2, re.compile(r"oxygen\s+saturation|SpO2|SaO2", re.I)),
    (Measure.mortality, re.compile(r"mortality|death|surviv", re.I)),
    (
        Measure.adverse_events,
        re.compile(r"adverse|\bSAEs?\b|\bAEs?\b|side\s+effects?|safety|toxicit", re.I),
    ),
    (Measure.viral_clearance, re.compile(r"viral|virus|RT-PCR|PCR\b|negative\s+conversion", re.I)),
    (Measure.immune_cells, re.compile(r"lymphocyte|CD4|CD8|T[- ]cells?|immune\s+cells", re.I)),
    (
        Measure.lung_function,
        re.compile(r"lung\s+function|DLCO|vital\s+capacity|spirometr|walk\s+test", re.I),
    ),
    (Measure.hospital_stay, re.compile(r"hospitali[sz]|length\s+of\s+stay|hospital\s+stay", re.I)),
    (
        Measure.clinical_status_scale,
        re.compile(
            r"clinical\s+(?:status|improvement|condition|outcome)|ordinal\s+scale|WHO\s+scale", re.I
        ),
    ),
    (Measure.symptoms, re.compile(r"symptom|dyspn|fatigue|cough", re.I)),
    (Measure.organ_function, re.compile(r"organ\s+(?:function|failure)|SOFA|ventilat", re.I)),
]
_SEVERITY_WORD = r"(mild|moderate|common|ordinary|severe|critical(?:ly)?)"
_SEVERITY = re.compile(
    rf"\b{_SEVERITY_WORD}((?:\s*(?:,|/|or|and|to|-)\s*{_SEVERITY_WORD})*)"
    r"(?:\s+(?:type|COVID|case|cases|pneumonia|disease|illness|ill\b|form))",
    re.IGNORECASE,
)
_SEVERITY_MAP = {
    "mild": Severity.mild,
    "moderate": Severity.moderate,
    "common": Severity.moderate,
    "ordinary": Severity.moderate,
    "severe": Severity.severe,
    "critical": Severity.critical,
    "critically": Severity.critical,
}
_STANDARD_CARE = re.compile(
    r"standard\s+(?:of\s+)?care|standard\s+(?:medical\s+)?treatment|conventional\s+(?:symptomatic\s+)?(?:treatment|therapy)"
    r"|routine\s+treatment|supportive\s+care|usual\s+care|\bSOC\b|best\s+(?:available|supportive)",
    re.IGNORECASE,
)
_VEHICLE = re.compile(
    r"saline|albumin|plasma-?lyte|sodium\s+chloride|NaCl|vehicle|cryoprotect|buffer", re.I
)


@dataclass(frozen=True)
class Extraction:
    design: ExtractedDesign
    protocol: Protocol | None


def measure_of(text: str) -> Measure | None:
    for measure, pattern in _MEASURES:
        if pattern.search(text):
            return measure
    return None


_REACTIONS = (Measure.local_inflammation, Measure.fever, Measure.chills, Measure.allergic_reaction)


def measures_of(text: str) -> list[Measure]:
    """Every guidance measure an outcome names: one outcome may follow several reactions."""
    found = [m for m, pattern in _MEASURES if m in _REACTIONS and pattern.search(text)]
    main = measure_of(text)
    return found if main in found else ([main] if main else []) + found


def stated_severity(criteria: str | None) -> tuple[list[Severity], str] | None:
    """Clinical types the inclusion criteria name ('severe or critical COVID-19')."""
    if not criteria:
        return None
    inclusion = re.split(r"exclusion\s+criteria", criteria, flags=re.IGNORECASE)[0]
    inclusion = re.sub(r"severe\s+acute\s+respiratory", "", inclusion, flags=re.IGNORECASE)
    found: list[Severity] = []
    evidence = ""
    for m in _SEVERITY.finditer(clean(inclusion)):
        words = re.findall(_SEVERITY_WORD, m.group(0), re.IGNORECASE)
        progressing = re.search(r"progress", inclusion[m.end() : m.end() + 40], re.I)
        for w in words:
            sev = _SEVERITY_MAP[w.lower()]
            if sev is Severity.moderate and progressing:
                sev = Severity.moderate_progressing
            if sev not in found:
                found.append(sev)
        evidence = evidence or inclusion[m.start() : m.end() + 40].strip()
    return (found, evidence) if found else None


def extract_design(
    study: Study, guidance: Guidance | None = None, weights_kg: tuple[float, float] = (50.0, 100.0)
) -> Extraction:
    """The extracted design of one study and, for an MSC trial, its protocol and findings."""
    cls = cl.classify(study)
    evidence: dict[str, Evidence] = {
        "is_msc_trial": Evidence(source=cls.source, text=cls.reason[:600]),
    }
    common = _common_fields(study, evidence)
    if not cls.is_msc:
        return Extraction(
            ExtractedDesign(nct_id=study.nct_id, is_msc_trial=False, evidence=evidence, **common),
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
    design = ExtractedDesign(
        nct_id=study.nct_id,
        is_msc_trial=True,
        product_type=product,  # type: ignore[arg-type]
        cell_source=(source[0] if source else "unspecified"),  # type: ignore[arg-type]
        donor=(donor[0] if donor else None),  # type: ignore[arg-type]
        evidence=evidence,
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
    return Extraction(design, protocol)


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


def _common_fields(study: Study, evidence: dict[str, Evidence]) -> dict[str, object]:
    if study.phases:
        evidence["phases"] = Evidence(
            source="designModule.phases", text=", ".join(p.value for p in study.phases)
        )
    if study.enrollment is not None:
        evidence["enrollment"] = Evidence(
            source="designModule.enrollmentInfo.count", text=str(study.enrollment)
        )
    if study.countries:
        evidence["countries"] = Evidence(
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
        from msctrial.registry.extract import linked_interventions

        linked = linked_interventions(study, arm)
        if linked & set(msc) or cl.mentions_msc(cl.arm_text(arm)):
            arms.append(j)
    if not arms:
        arms = [j for j, arm in enumerate(study.arms) if not cl.is_control_arm(arm)][:1]
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
) -> dict[str, object]:
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


def build_protocol(
    study: Study,
    design: ExtractedDesign,
    msc_arms: list[int | None],
    products: dict[int | None, str],
    dosing: dict[int | None, ArmDosing],
    evidence: dict[str, Evidence],
) -> Protocol:
    """The record's design as a Protocol; what it does not state stays None."""
    arms: list[Arm] = []
    names: set[str] = set()
    indexes: list[int | None] = list(range(len(study.arms))) or [None]
    for j in indexes:
        arm = study.arms[j] if j is not None else None
        label = (
            arm.label if arm else (study.interventions[0].name if study.interventions else "MSC")
        )[:190]
        name = label
        while name in names:
            name = f"{label} ({len(names) + 1})"
        names.add(name)
        text = cl.arm_text(arm) if arm else ""
        standard_care = True if _STANDARD_CARE.search(text) else None
        if j in msc_arms:
            arms.append(
                Arm(
                    name=name,
                    type=ArmType.experimental,
                    product=ProductKind(products[j]),
                    tissue_source=TissueSource(design.cell_source) if design.cell_source else None,
                    donor=Donor(design.donor) if design.donor else None,
                    standard_care=standard_care,
                    dosing=_dosing(dosing[j]),
                )
            )
        elif arm is not None and cl.is_control_arm(arm):
            placebo = (
                arm.type in ("PLACEBO_COMPARATOR", "SHAM_COMPARATOR") or "placebo" in text.lower()
            )
            vehicle = _vehicle(study, arm) if placebo else None
            if vehicle:
                evidence["placebo"] = Evidence(source=vehicle[0], text=vehicle[1])
            arms.append(
                Arm(
                    name=name,
                    type=ArmType.placebo if placebo else ArmType.standard_care,
                    product=ProductKind.placebo if placebo else ProductKind.none,
                    vehicle=vehicle[1][:300] if vehicle else None,
                    standard_care=standard_care,
                )
            )
        else:
            kind = (
                ArmType.active_comparator
                if arm and arm.type == "ACTIVE_COMPARATOR"
                else ArmType.experimental
            )
            arms.append(
                Arm(name=name, type=kind, product=ProductKind.none, standard_care=standard_care)
            )
    severity = stated_severity(study.eligibility_criteria)
    if severity:
        evidence["eligibility.severity"] = Evidence(
            source="eligibilityModule.eligibilityCriteria", text=severity[1][:600]
        )
    endpoints = Endpoints(
        primary=[e for o in study.primary_outcomes for e in _endpoints(o)],
        secondary=[e for o in study.secondary_outcomes for e in _endpoints(o)],
    )
    return Protocol(
        title=study.title[:500],
        version=study.data_version or "registry record",
        registry_ids=[study.nct_id],
        phase=study.phases,
        source=f"ClinicalTrials.gov {study.nct_id} ({study.source_format.replace('_', ' ')})",
        design=_design(study, arms, evidence),
        arms=arms,
        eligibility=Eligibility(severity=severity[0] if severity else []),
        endpoints=endpoints,
        sample_size=SampleSize(target=study.enrollment) if study.enrollment else None,
    )


def _dosing(d: ArmDosing) -> Dosing:
    levels = [Dose(value=x.value, unit=DoseUnit(x.unit), max=x.max) for x in d.levels]
    days = d.days
    schedule = (
        Schedule(days=days, optional_days=[x for x in d.optional_days if x not in (days or [])])
        if days
        else Schedule()
    )
    count = d.count if (not days and d.count and d.count <= 100) else None
    return Dosing(
        dose=levels[0] if len(levels) == 1 else None,
        dose_levels=levels if len(levels) > 1 else [],
        route=Route(d.route) if d.route else None,
        schedule=schedule,
        administrations=count,
    )


def _vehicle(study: Study, arm) -> tuple[str, str] | None:  # noqa: ANN001
    from msctrial.registry.extract import linked_interventions

    texts: list[Text] = [
        (
            f"armsInterventionsModule.interventions[{i}]",
            f"{study.interventions[i].name}: {study.interventions[i].description or ''}",
        )
        for i in sorted(linked_interventions(study, arm))
    ]
    texts.append(
        (
            f"armsInterventionsModule.armGroups[{study.arms.index(arm)}].description",
            arm.description or "",
        )
    )
    for source, text in texts:
        if _VEHICLE.search(text):
            return source, text.strip().rstrip(":").strip()
    return None


def _endpoints(o: Outcome) -> list[Endpoint]:
    return [
        Endpoint(
            measure=m,
            name=o.measure[:500],
            time_points=time_points(o.time_frame or ""),
            time_frame=o.time_frame[:500] if o.time_frame else None,
        )
        for m in (measures_of(f"{o.measure} {o.description or ''}") or [Measure.other])
    ]


def _design(study: Study, arms: list[Arm], evidence: dict[str, Evidence]) -> Design:
    allocation = {
        "RANDOMIZED": Allocation.randomised,
        "NON_RANDOMIZED": Allocation.non_randomised,
    }.get(study.allocation or "")
    if allocation is None and (study.intervention_model == "SINGLE_GROUP" or len(study.arms) == 1):
        allocation = Allocation.single_arm
    if allocation is not None:
        evidence["allocation"] = Evidence(
            source="designModule.designInfo.allocation",
            text=f"{study.allocation or 'NA'} / {study.intervention_model or '—'}",
        )
    masking = {m.name.upper(): m for m in Masking}.get(study.masking or "")
    if masking is not None:
        evidence["masking"] = Evidence(
            source="designModule.designInfo.maskingInfo.masking", text=study.masking or ""
        )
    control = None
    if any(a.type is ArmType.placebo for a in arms):
        control = ControlType.placebo
    elif any(a.type is ArmType.standard_care for a in arms):
        control = ControlType.standard_care
    elif allocation is Allocation.single_arm:
        control = ControlType.none
    return Design(allocation=allocation, masking=masking, control=control)
