"""The landscape at a date: which MSC trials were registered by then, each counted once, by
registry, lead-site country, status, phase, product, source and route.

A trial registered on two registers is one trial. Two records are the same trial when they
share an id (a ClinicalTrials.gov record and ICTRP's row of it), or when one names the
other's id among its secondary ids, or ICTRP bridges them; the trial is then counted once,
under the register it was first registered on, and the evidence names every record merged.
A trial cancelled by its investigator is listed, marked, and kept out of the counts.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from msctrial.registry.ids import id_key
from msctrial.registry.model import CTGOV, Evidence, ExtractedDesign, Study
from msctrial.registry.table1 import describe_phase

CHINA = "China"
NOT_STATED = "not stated"
# ICTRP, ChiCTR and ClinicalTrials.gov name countries differently; one name each.
_COUNTRY_NAMES = {
    "china": CHINA, "中国": CHINA, "people's republic of china": CHINA, "pr china": CHINA,
    "prc": CHINA, "hong kong": "China (Hong Kong)", "taiwan": "Taiwan",
    "united states": "United States", "usa": "United States", "us": "United States",
    "united states of america": "United States",
    "iran (islamic republic of)": "Iran", "iran, islamic republic of": "Iran", "iran": "Iran",
    "korea, republic of": "South Korea", "republic of korea": "South Korea",
    "russian federation": "Russia", "uk": "United Kingdom",
}  # fmt: skip
# A lead site's country named in the sponsor's or contact's address when no country is given.
_COUNTRY_IN_TEXT = re.compile(
    r"\b(China|Chinese Academy|Beijing|Shanghai|Wuhan|Guangzhou|Shenzhen|Hubei|Zhejiang|Jiangsu|"
    r"Sichuan|Chongqing|Tianjin|Shandong|Henan|Hunan|Guangdong|Jilin|Liaoning|Yunnan|"
    r"United States|USA|Iran|Spain|Brazil|France|Germany|Mexico|Turkey|Indonesia|Pakistan|"
    r"Jordan|Colombia|Canada|Australia|Belarus|Denmark|Belgium|Egypt|Israel|Ukraine|"
    r"Argentina|Sweden|Italy|India|Japan|Korea|Vietnam|Malaysia)\b|中国|北京|上海|武汉"
)
_CHINESE_PLACES = re.compile(
    r"Chinese Academy|Beijing|Shanghai|Wuhan|Guangzhou|Shenzhen|Hubei|Zhejiang|Jiangsu|Sichuan|"
    r"Chongqing|Tianjin|Shandong|Henan|Hunan|Guangdong|Jilin|Liaoning|Yunnan|中国|北京|上海|武汉"
)
_REGISTRY_ALIASES = {
    "ctgov": CTGOV, "ct.gov": CTGOV, "clinicaltrials": CTGOV, "clinicaltrials.gov": CTGOV,
    "nct": CTGOV, "chictr": "ChiCTR", "euctr": "EU Clinical Trials Register",
    "eu ctr": "EU Clinical Trials Register", "eudract": "EU Clinical Trials Register",
    "drks": "German Clinical Trials Register", "irct": "IRCT", "isrctn": "ISRCTN",
    "anzctr": "ANZCTR", "ctri": "CTRI", "jprn": "JPRN",
}  # fmt: skip
_RICHNESS = {"api_v2": 3, "legacy_full_studies": 3, "classic_xml": 3, "chictr_xml": 2}


def registry_name(text: str) -> str:
    """'ctgov', 'ClinicalTrials.gov', 'chictr' → the register's name as records give it."""
    return _REGISTRY_ALIASES.get(text.strip().lower(), text.strip())


def country_name(text: str) -> str:
    return _COUNTRY_NAMES.get(text.strip().lower(), text.strip())


@dataclass(frozen=True)
class Trial:
    """One trial of the landscape: its first-registered record, with the others merged."""

    study: Study
    design: ExtractedDesign
    records: list[Study]  # every record of this trial, the chosen one first
    lead_country: str
    evidence: dict[str, Evidence]

    def to_json(self) -> dict[str, Any]:
        d = self.design
        return {
            "trial_id": self.study.trial_id,
            "registry": self.study.registry,
            "registered_on": self.study.registered_on,
            "status": status_word(self.study),
            "cancelled": self.study.cancelled,
            "countries": list(self.study.countries) or [self.lead_country],
            "product": d.product_type,
            "cell_source": d.cell_source,
            "route": d.route,
            "combined_with": list(d.combined_with),
            "evidence": {k: v.model_dump() for k, v in self.evidence.items()},
        }


def status_word(study: Study) -> str:
    return (study.overall_status or NOT_STATED).replace("_", " ").lower()


@dataclass
class Census:
    as_of: str | None
    registries: list[str]
    trials: list[Trial] = field(default_factory=list)  # counted, then cancelled ones
    duplicates_merged: int = 0
    undated: list[str] = field(default_factory=list)  # MSC trials with no registration date

    @property
    def counted(self) -> list[Trial]:
        return [t for t in self.trials if not t.study.cancelled]

    def counts(self) -> dict[str, Any]:
        counted = self.counted
        china = [t for t in counted if t.lead_country.startswith(CHINA)]
        unknown = [t for t in counted if t.lead_country == NOT_STATED]

        def by(key: Any) -> dict[str, int]:
            return dict(Counter(key(t) for t in counted).most_common())

        return {
            "trials": len(counted),
            "by_registry": by(lambda t: t.study.registry),
            "lead_site": {
                "china": len(china),
                "elsewhere": len(counted) - len(china) - len(unknown),
                NOT_STATED: len(unknown),
            },
            "by_country": by(lambda t: t.lead_country),
            "by_status": by(lambda t: status_word(t.study)),
            "by_phase": by(lambda t: describe_phase(t.design)),
            "by_product": by(lambda t: t.design.product_type or NOT_STATED),
            "by_source": by(lambda t: t.design.cell_source or NOT_STATED),
            "by_route": by(lambda t: t.design.route or NOT_STATED),
            "combination_therapy": sum(1 for t in counted if t.design.combined_with),
            "cancelled": len(self.trials) - len(counted),
            "duplicates_merged": self.duplicates_merged,
            "undated": len(self.undated),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of,
            "counts": self.counts(),
            "trials": [t.to_json() for t in self.trials],
        }


def lead_country(study: Study) -> tuple[str, Evidence | None]:
    """The lead site's country: the first one the record lists, else the one its sponsor's or
    contact's address names."""
    if study.countries:
        source = study.stated.get("countries")
        return country_name(study.countries[0]), source or Evidence(
            source="contactsLocationsModule.locations[].country", text=", ".join(study.countries)
        )
    for path, text in (
        ("responsible party / contact affiliation", study.responsible_party),
        ("lead sponsor", study.lead_sponsor),
        ("organization", study.organization),
    ):
        m = _COUNTRY_IN_TEXT.search(text or "")
        if m:
            name = CHINA if _CHINESE_PLACES.fullmatch(m.group(0)) else country_name(m.group(0))
            return name, Evidence(source=path, text=text or "")
    return NOT_STATED, None


def _groups(items: list[tuple[Study, ExtractedDesign]]) -> list[list[int]]:
    """Records of one trial together: union of shared ids, secondary ids and ICTRP bridges."""
    parent = list(range(len(items)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for i, (study, _) in enumerate(items):
        for key in (id_key(study.trial_id), *(id_key(x) for x in study.linked_ids)):
            if key in owner:
                parent[find(i)] = find(owner[key])
            else:
                owner[key] = i
    groups: dict[int, list[int]] = {}
    for i in range(len(items)):
        groups.setdefault(find(i), []).append(i)
    return list(groups.values())


def _first_registered(
    records: list[tuple[Study, ExtractedDesign]],
) -> tuple[Study, ExtractedDesign]:
    """The record to list a trial under: its first registration; of records of that same id,
    the fullest (a ClinicalTrials.gov record over ICTRP's row of it)."""
    return min(
        records,
        key=lambda r: (
            r[0].registered_on or "9999",
            r[0].trial_id,
            -_RICHNESS.get(r[0].source_format, 1),
        ),
    )


def census(
    items: list[tuple[Study, ExtractedDesign]],
    as_of: dt.date | None = None,
    registries: list[str] | None = None,
) -> Census:
    """The MSC trials of ``items`` registered on or before ``as_of`` on ``registries``."""
    wanted = [registry_name(r) for r in registries or []]
    msc = [(s, d) for s, d in items if d.is_msc_trial]
    out = Census(as_of=as_of.isoformat() if as_of else None, registries=wanted)
    for group in _groups(msc):
        records = [msc[i] for i in group]
        study, design = _first_registered(records)
        others = [s for s, _ in records if s is not study]
        ids = list(dict.fromkeys(s.trial_id for s in others if s.trial_id != study.trial_id))
        if wanted and study.registry not in wanted:
            continue
        if as_of is not None:
            if study.registered_on is None:
                out.undated.append(study.trial_id)
                continue
            if study.registered_on > as_of.isoformat():
                continue
        evidence = {
            k: v
            for k, v in design.evidence.items()
            if k in ("is_msc_trial", "product_type", "cell_source", "route", "combined_with")
        }
        if study.registered_on:
            evidence["registered_on"] = study.stated.get("registered_on") or Evidence(
                source="statusModule.studyFirstSubmitDate", text=study.registered_on
            )
        out.duplicates_merged += len(ids)
        country, where = lead_country(study)
        if where:
            evidence["countries"] = where
        if study.cancelled and "cancelled" in study.stated:
            evidence["cancelled"] = study.stated["cancelled"]
        if ids:
            evidence["same_trial_as"] = Evidence(
                source="secondary ids / ICTRP bridging", text="; ".join(ids)
            )
        out.trials.append(Trial(study, design, [study, *others], country, evidence))
    out.trials.sort(
        key=lambda t: (t.study.cancelled, t.study.registered_on or "", t.study.trial_id)
    )
    return out
