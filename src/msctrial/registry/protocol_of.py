"""An extracted registry design as a ``Protocol``, so the guidance rules judge it.

Only what the record states is filled in: a field it does not state stays None, and the rules
stay silent about it. Outcomes are mapped to the guidance's measures (DOMAIN §4); eligible
severity is taken only where the inclusion criteria name it.
"""

from __future__ import annotations

import re

from msctrial.protocol.model import (
    Arm,
    Design,
    Dose,
    Dosing,
    Eligibility,
    Endpoint,
    Endpoints,
    Protocol,
    SampleSize,
    Schedule,
)
from msctrial.protocol.terms import (
    Allocation,
    ArmType,
    ControlType,
    Donor,
    DoseUnit,
    Masking,
    Measure,
    ProductKind,
    Route,
    Severity,
    TissueSource,
)
from msctrial.registry import classify as cl
from msctrial.registry.dosetext import clean, time_points
from msctrial.registry.extract import ArmDosing, Text, linked_interventions
from msctrial.registry.model import ArmGroup, Evidence, ExtractedDesign, Outcome, Study

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
        registry_ids=[study.trial_id, *study.linked_ids],
        phase=study.phases,
        source=f"{study.registry} {study.trial_id} ({study.source_format.replace('_', ' ')})",
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


def _vehicle(study: Study, arm: ArmGroup) -> tuple[str, str] | None:
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
