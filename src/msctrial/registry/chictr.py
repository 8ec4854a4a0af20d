"""ChiCTR's own XML export, bilingual, read into ``Study`` records.

ChiCTR hands its records to the WHO in the WHO Trial Registration Data Set layout, and its own
export follows it: ``<trials><trial><main>`` with ``trial_id``, ``date_registration``,
``public_title``, ``scientific_title``, ``recruitment_status``, ``target_size``, ``study_type``,
``phase``, ``i_freetext`` (the intervention, per group), ``hc_freetext``; then ``countries``,
``criteria`` (``inclusion_criteria``, ``exclusion_criteria``, ``agemin``, ``agemax``),
``primary_outcome/prim_outcome`` and ``secondary_ids/secondary_id/sec_id``. The Chinese text of a
field sits beside the English one, either as the same element with ``lang="zh"`` (or
``xml:lang``) or as the element's name with ``_cn`` (``public_title_cn``). Both are kept: the
English is read first, the Chinese after it, so a value the English leaves out is still read
from the Chinese, with the Chinese text quoted as evidence.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

from msctrial.registry.formats import BadRecord
from msctrial.registry.ictrp import from_ictrp

_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# WHO TRDS element → the ICTRP column key ``from_ictrp`` reads
_FIELDS = {
    "trial_id": "trialid",
    "reg_name": "source_register",
    "date_registration": "date_registration",
    "primary_sponsor": "primary_sponsor",
    "public_title": "public_title",
    "scientific_title": "scientific_title",
    "date_enrolment": "date_enrollement",
    "target_size": "target_size",
    "recruitment_status": "recruitment_status",
    "url": "web_address",
    "study_type": "study_type",
    "study_design": "study_design",
    "phase": "phase",
    "hc_freetext": "condition",
    "i_freetext": "intervention",
    "inclusion_criteria": "inclusion_criteria",
    "exclusion_criteria": "exclusion_criteria",
    "agemin": "inclusion_agemin",
    "agemax": "inclusion_agemax",
    "prim_outcome": "primary_outcome",
    "sec_outcome": "secondary_outcome",
    "sec_id": "secondary_id",
    "country2": "countries",
    "country1": "countries",
    "affiliation": "contact_affiliation",
}
_JOIN = {"countries", "secondary_id", "primary_outcome", "secondary_outcome", "contact_affiliation"}


def _is_chinese(el: ET.Element, tag: str) -> bool:
    lang = (el.get("lang") or el.get(_LANG) or "").lower()
    return tag.endswith("_cn") or tag.endswith("_zh") or lang.startswith("zh")


def _fields(trial: ET.Element) -> dict[str, Any]:
    english: dict[str, list[str]] = {}
    chinese: dict[str, list[str]] = {}
    for el in trial.iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        if len(el):
            continue  # a container: its leaves are read on their own
        base = tag.removesuffix("_cn").removesuffix("_zh").removesuffix("_en")
        key = _FIELDS.get(base)
        text = "".join(el.itertext()).strip()
        if key is None or not text:
            continue
        (chinese if _is_chinese(el, tag) else english).setdefault(key, []).append(text)
    row: dict[str, Any] = {}
    for key in set(english) | set(chinese):
        en, zh = english.get(key, []), chinese.get(key, [])
        sep = ";" if key in _JOIN else "\n"
        if key in ("trialid", "date_registration", "target_size", "phase", "web_address"):
            row[key] = (en or zh)[0]
        else:
            row[key] = sep.join(dict.fromkeys(en + zh))
    return row


def from_chictr_xml(root: ET.Element) -> Iterator[Any]:
    """Each ``<trial>`` of a ChiCTR (WHO TRDS) XML document, as a ``Study``."""
    trials = [root] if root.tag == "trial" else list(root.iter("trial"))
    if not trials:
        raise BadRecord(
            f"root element is <{root.tag}>, not <clinical_study> (ClinicalTrials.gov), <trials> "
            "(ChiCTR's WHO-format export) or <Trials_downloaded_from_ICTRP> (WHO ICTRP)"
        )
    for k, trial in enumerate(trials, start=1):
        row = _fields(trial)
        row.setdefault("source_register", "ChiCTR")
        yield from_ictrp(row, "chictr_xml", f"trial {k}: ")
