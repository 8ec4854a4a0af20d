"""The retired classic ``<clinical_study>`` XML (public.xsd), read into a ``Study``."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from msctrial.registry.formats import BadRecord, _int, _phases, _study, _unique, enum_name, iso_date
from msctrial.registry.ids import linked_ids
from msctrial.registry.model import ArmGroup, Intervention, Outcome, Study


def _text(el: ET.Element | None, path: str) -> str | None:
    if el is None:
        return None
    found = el.find(path)
    if found is None:
        return None
    block = found.find("textblock")
    raw = "".join((block if block is not None else found).itertext())
    return _clean_block(raw) or None


def _clean_block(raw: str) -> str:
    """Textblocks are indented and hard-wrapped; keep paragraphs, join wrapped lines."""
    paragraphs = re.split(r"\n\s*\n", raw.strip())
    return "\n\n".join(" ".join(line.strip() for line in p.splitlines()) for p in paragraphs)


def _texts(el: ET.Element, path: str) -> list[str]:
    return _unique([_clean_block("".join(e.itertext())) for e in el.findall(path)])


def from_classic_xml(root: ET.Element) -> Study:
    """One ``<clinical_study>`` element (public.xsd)."""
    if root.tag != "clinical_study":
        raise BadRecord(f"root element is <{root.tag}>, not <clinical_study>")
    design = root.find("study_design_info")
    header = _text(root, "required_header/download_date") or ""
    version = re.search(r"on (\w+ \d{1,2}, \d{4})", header)
    phase = _text(root, "phase")
    return _study(
        trial_id=_text(root, "id_info/nct_id"),
        registered_on=iso_date(_text(root, "study_first_submitted")),
        linked_ids=linked_ids(
            _texts(root, "id_info/secondary_id") + _texts(root, "id_info/org_study_id")
        ),
        source_format="classic_xml",
        brief_title=_text(root, "brief_title"),
        official_title=_text(root, "official_title"),
        organization=_text(root, "source"),
        lead_sponsor=_text(root, "sponsors/lead_sponsor/agency"),
        responsible_party=_text(root, "responsible_party/investigator_affiliation"),
        overall_status=enum_name(_text(root, "overall_status")),
        start_date=iso_date(_text(root, "start_date")),
        data_version=iso_date(version.group(1)) if version else None,
        study_type=enum_name(_text(root, "study_type")),
        phases=_phases([phase]) if phase else [],
        allocation=enum_name(_text(design, "allocation")),
        intervention_model=enum_name(_text(design, "intervention_model")),
        intervention_model_description=_text(design, "intervention_model_description"),
        masking=enum_name(_text(design, "masking")),
        enrollment=_int(_text(root, "enrollment")),
        conditions=_texts(root, "condition"),
        keywords=_texts(root, "keyword"),
        brief_summary=_text(root, "brief_summary"),
        detailed_description=_text(root, "detailed_description"),
        arms=[
            ArmGroup(
                label=_text(a, "arm_group_label") or "Arm",
                type=enum_name(_text(a, "arm_group_type")),
                description=_text(a, "description"),
            )
            for a in root.findall("arm_group")
        ],
        interventions=[
            Intervention(
                type=enum_name(_text(i, "intervention_type")),
                name=_text(i, "intervention_name") or "(unnamed)",
                description=_text(i, "description"),
                arm_group_labels=_texts(i, "arm_group_label"),
                other_names=_texts(i, "other_name"),
            )
            for i in root.findall("intervention")
        ],
        primary_outcomes=_xml_outcomes(root, "primary_outcome"),
        secondary_outcomes=_xml_outcomes(root, "secondary_outcome"),
        eligibility_criteria=_text(root, "eligibility/criteria"),
        minimum_age=_text(root, "eligibility/minimum_age"),
        maximum_age=_text(root, "eligibility/maximum_age"),
        countries=_texts(root, "location_countries/country")
        or _texts(root, "location/facility/address/country"),
    )


def _xml_outcomes(root: ET.Element, tag: str) -> list[Outcome]:
    return [
        Outcome(
            measure=_text(o, "measure") or "(unnamed)",
            description=_text(o, "description"),
            time_frame=_text(o, "time_frame"),
        )
        for o in root.findall(tag)
    ]
