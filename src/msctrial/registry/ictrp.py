"""One WHO ICTRP record (a row of its CSV or spreadsheet, a ``<Trial>`` of its XML) → ``Study``.

The three exports carry the same fields under slightly different names (``Date registration``
in the spreadsheet, ``Date_registration`` in the XML); ``column_key`` reduces each to one key.
ICTRP keeps only a register's short fields: titles, the intervention as one text (ChiCTR's per
group, ``Experimental group:MSCs…;Control group:saline;``; ClinicalTrials.gov's as
``Biological: …;Drug: …``; EU CTR's as ``Product Name: …<br>…``), criteria and outcomes. Each
is turned into the arms and interventions the extractor reads, and ``stated`` keeps the text
each normalised value came from. Every source register is read; the record's register is
named as ICTRP names it (``ChiCTR``, ``IRCT``, ``EU Clinical Trials Register`` …).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from msctrial.registry.formats import BadRecord, make_study
from msctrial.registry.ictrp_values import (
    CANCELLED,
    Cell,
    clean_text,
    parse_date,
    parse_phase,
    parse_status,
    parse_study_type,
    parse_target_size,
)
from msctrial.registry.ids import linked_ids, record_url, registry_of
from msctrial.registry.model import ArmGroup, Evidence, Intervention, Outcome, SourceFormat, Study

# ICTRP's names for a few registers differ between exports; one name each.
_REGISTERS = {
    "euctr": "EU Clinical Trials Register",
    "eu ctr": "EU Clinical Trials Register",
    "drks": "German Clinical Trials Register",
    "ntr": "Netherlands Trial Register",
    "nl-omon": "Netherlands Trial Register",
    "rebec": "REBEC",
    "clinicaltrials.gov": "ClinicalTrials.gov",
    "ct.gov": "ClinicalTrials.gov",
    "chictr": "ChiCTR",
    "jprn": "JPRN",
    "isrctn": "ISRCTN",
    "anzctr": "ANZCTR",
    "ctri": "CTRI",
    "irct": "IRCT",
    "cris": "CRIS",
}
# The ICTRP fields an evidence path of the normalised record stands for.
SOURCE_FIELDS = {
    "identificationModule.briefTitle": "Public title",
    "identificationModule.officialTitle": "Scientific title",
    "armsInterventionsModule": "Intervention",
    "outcomesModule.primaryOutcomes": "Primary outcome",
    "eligibilityModule": "Inclusion Criteria",
    "designModule.designInfo.interventionModelDescription": "Study design",
}


def source_name(study: Study, path: str) -> str:
    """Where a value of an ICTRP or ChiCTR record was read, in the register's own field names
    ('ICTRP Intervention, group "Experimental group"'); other records keep their API v2 path."""
    if not study.source_format.startswith(("ictrp", "chictr")):
        return path
    origin = "ICTRP" if study.source_format.startswith("ictrp") else "ChiCTR"
    parts = []
    for piece in path.split(" + "):
        field = next((v for k, v in SOURCE_FIELDS.items() if piece.startswith(k)), None)
        m = re.search(r"armGroups\[(\d+)\]|interventions\[(\d+)\]", piece)
        group = ""
        if m and m.group(1) is not None and int(m.group(1)) < len(study.arms):
            group = f', group "{study.arms[int(m.group(1))].label}"'
        elif m and m.group(2) is not None and int(m.group(2)) < len(study.interventions):
            labels = study.interventions[int(m.group(2))].arm_group_labels
            group = f', group "{labels[0]}"' if labels else ""
        parts.append(f"{origin} {field}{group}" if field else piece)
    return " + ".join(dict.fromkeys(parts))


_TYPES = {
    "drug", "biological", "device", "procedure", "other", "behavioral", "genetic", "radiation",
    "dietary supplement", "combination product", "diagnostic test",
}  # fmt: skip
# IRCT writes its groups in one text: "Intervention 1: … . Intervention 2: … . Control group: …"
_GROUP_START = re.compile(
    r"(?:(?<=[.;])|^)\s*(?=(?:Intervention|Control|Comparator|Placebo)\s*(?:group\s*)?\d{0,2}\s*:)",
    re.I,
)


def column_key(name: object) -> str:
    """'Date registration3' and 'Date_registration3' → 'date_registration3'."""
    return re.sub(r"[^a-z0-9]+", "_", str(name or "").lower()).strip("_")


def from_ictrp(row: Mapping[str, Cell], source_format: SourceFormat, where: str = "") -> Study:
    """One ICTRP record, its fields keyed by ``column_key``; ``where`` names it in errors."""
    get = row.get
    trial_id = clean_text(get("trialid"))
    if not trial_id or not re.fullmatch(r"[A-Za-z][\w/.\-]{3,60}", trial_id):
        raise BadRecord(
            f"{where}TrialID: {trial_id!r} is not a trial id (e.g. NCT04252118, ChiCTR2000029990)"
        )
    stated: dict[str, Evidence] = {}

    def keep(field: str, column: str, value: Cell) -> None:
        text = clean_text(value)
        if text:
            stated[field] = Evidence(source=f"ICTRP {column}", text=text[:600])

    registry = _register(clean_text(get("source_register")), trial_id)
    title = clean_text(get("public_title")) or ""
    cancelled = bool(CANCELLED.match(title))
    title = CANCELLED.sub("", title).strip()
    registered = parse_date(get("date_registration3")) or parse_date(get("date_registration"))
    keep(
        "registered_on", "Date registration", get("date_registration3") or get("date_registration")
    )
    enrollment, _groups = parse_target_size(get("target_size"))
    keep("enrollment", "Target size", get("target_size"))
    phase_cell = get("phase")
    keep("phases", "Phase", phase_cell)
    countries = _split(get("countries"))
    keep("countries", "Countries", get("countries"))
    status = parse_status(get("recruitment_status"))
    keep("overall_status", "Recruitment Status", get("recruitment_status"))
    if cancelled:
        stated["cancelled"] = Evidence(
            source="ICTRP Public title", text=clean_text(get("public_title")) or ""
        )
    arms, interventions = interventions_of(clean_text(get("intervention")) or "")
    inclusion = clean_text(get("inclusion_criteria"))
    exclusion = clean_text(get("exclusion_criteria"))
    fields: dict[str, Any] = {
        "trial_id": trial_id,
        "source_format": source_format,
        "registry": registry,
        "registered_on": registered,
        "url": clean_text(get("web_address")) or record_url(trial_id, registry),
        "linked_ids": linked_ids(
            [get(k) for k in row if k.startswith("secondary_id")], own=trial_id
        ),
        "bridged": (clean_text(get("bridged_type")) or "").lower() or None,
        "cancelled": cancelled,
        "brief_title": title or None,
        "official_title": clean_text(get("scientific_title")),
        "lead_sponsor": clean_text(get("primary_sponsor")),
        "responsible_party": _first(clean_text(get("contact_affiliation"))),
        "overall_status": status,
        "start_date": parse_date(get("date_enrollement") or get("date_enrollment")),
        "data_version": parse_date(get("last_refreshed_on") or get("export_date")),
        "study_type": parse_study_type(get("study_type")),
        "phases": parse_phase(phase_cell),
        "enrollment": enrollment,
        "conditions": _split(get("condition")),
        "intervention_model_description": clean_text(get("study_design")),
        "arms": arms,
        "interventions": interventions,
        "primary_outcomes": outcomes_of(clean_text(get("primary_outcome"))),
        "secondary_outcomes": outcomes_of(clean_text(get("secondary_outcome"))),
        "eligibility_criteria": "\n".join(t for t in (inclusion, exclusion) if t) or None,
        "minimum_age": clean_text(get("inclusion_agemin")),
        "maximum_age": clean_text(get("inclusion_agemax")),
        "countries": countries,
        "stated": stated,
    }
    return make_study(fields)


def _register(name: str | None, trial_id: str) -> str:
    if name:
        return _REGISTERS.get(name.strip().lower(), name.strip())
    return registry_of(trial_id) or "unknown register"


def _split(value: Cell) -> list[str]:
    text = clean_text(value) or ""
    return list(dict.fromkeys(p.strip() for p in re.split(r"[;\n]", text) if p.strip()))


def _first(text: str | None) -> str | None:
    parts = [p.strip() for p in (text or "").split(";") if p.strip()]
    return parts[0] if parts else None


def interventions_of(text: str) -> tuple[list[ArmGroup], list[Intervention]]:
    """ICTRP's one intervention text as arms and interventions, in the register's own form."""
    if not text.strip():
        return [], []
    if re.search(r"product\s+name\s*:", text, re.I):
        return [], _eu_products(text)
    parts = _labelled(text)
    if parts and all(label.lower() in _TYPES for label, _ in parts):
        return [], [
            Intervention(type=_enum(label), name=body[:300] or "(unnamed)") for label, body in parts
        ]
    if parts:
        arms, ivs = [], []
        for label, body in parts:
            arms.append(
                ArmGroup(
                    label=label,
                    description=body,
                    intervention_names=[body[:300]],
                )
            )
            ivs.append(Intervention(name=body[:300], description=body, arm_group_labels=[label]))
        return arms, ivs
    return [], [Intervention(name=text[:300], description=text)]


def _labelled(text: str) -> list[tuple[str, str]]:
    """'Experimental group:MSCs;Control group:saline;' → [(label, text), …]; a part without
    a label of its own continues the one before it."""
    out: list[tuple[str, str]] = []
    pieces = [q for p in re.split(r";\s*|\n", text) for q in _GROUP_START.split(p)]
    for part in pieces:
        if not part.strip():
            continue
        m = re.match(r"^\s*([^:：;]{1,80}?)\s*[:：]\s*(.*)$", part, re.S)
        if m and m.group(2).strip() and not re.fullmatch(r"\d+", m.group(1)):
            out.append((m.group(1).strip(), m.group(2).strip()))
        elif out:
            label, body = out[-1]
            out[-1] = (label, f"{body}; {part.strip()}")
        else:
            return []
    return out


def _eu_products(text: str) -> list[Intervention]:
    out = []
    for block in re.split(r"(?=product\s+name\s*:)", text, flags=re.I):
        if not block.strip():
            continue
        fields = dict(_kv(block))
        name = (
            fields.get("other descriptive name")
            or fields.get("product name")
            or fields.get("inn or proposed inn")
            or block[:120]
        )
        out.append(Intervention(type="DRUG", name=name[:300], description=block.strip()))
    return out


def _kv(block: str) -> list[tuple[str, str]]:
    return [
        (m.group(1).strip().lower(), m.group(2).strip())
        for m in re.finditer(r"^\s*([^:\n]{2,60}):\s*(.+)$", block, re.M)
    ]


def _enum(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", label).strip("_").upper()


def outcomes_of(text: str | None) -> list[Outcome]:
    """Primary outcomes: one per ';'-separated measure; EU CTR's end points and time points."""
    if not text:
        return []
    m = re.search(
        r"primary\s+end\s*point\(s\)\s*:\s*(.*?)(?:;\s*timepoint\(s\)[^:]*:\s*(.*))?$",
        text,
        re.I | re.S,
    )
    if m:
        return [
            Outcome(
                measure=m.group(1).strip()[:1000], time_frame=(m.group(2) or "").strip() or None
            )
        ]
    return [
        Outcome(measure=p.strip()[:1000])
        for p in re.split(r";\s*", text)
        if p.strip() and not re.fullmatch(r"[\W_]+", p.strip())
    ]
