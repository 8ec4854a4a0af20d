"""SDTM tabulations (SDTMIG 3.3) of what the platform holds: DM, EX, AE, LB, VS. Pure.

Each domain is a ``Domain``: its variables (name, label, type, origin) and its rows, built only
from ``TrialData``. A blinded reader's DM has ARMCD/ARM/ACTARMCD/ACTARM masked, and EX has no
treatment name, lot or volume: those columns are absent, not empty.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from msctrial.exchange.model import StudyMeta, TrialData, ValueRecord

MASKED = "MASKED"  # the one value a blinded reader's arm variables hold

# The forms that are laboratory tests (LB) and the vital signs (VS).
LB_FORMS = ("blood_gas", "cbc", "chemistry", "lymphocyte_subsets", "cytokines")
VS_FORM = "vital_signs"

# CDISC controlled terminology test codes (LBTESTCD C65047, VSTESTCD C66741) where one exists;
# other items get their name, upper-cased and cut to 8 characters.
TEST_CODES = {
    "wbc": "WBC",
    "neutrophils": "NEUT",
    "lymphocytes": "LYM",
    "platelets": "PLAT",
    "haemoglobin": "HGB",
    "pao2": "PO2",
    "paco2": "PCO2",
    "ph": "PH",
    "fio2": "FIO2",
    "nlr": "NEUTLYM",
    "respiratory_rate": "RESP",
    "heart_rate": "HR",
    "temperature": "TEMP",
    "spo2": "OXYSAT",
    "systolic_bp": "SYSBP",
    "diastolic_bp": "DIABP",
    "mean_arterial_pressure": "MAP",
}
SEX = {"male": "M", "female": "F"}

# Form labels spell some tests with Greek letters (TNF-α, IFN-γ); SAS XPORT v5 holds ASCII.
SPELLED = str.maketrans({"α": "alpha", "β": "beta", "γ": "gamma", "µ": "u", "μ": "u", "°": "deg"})


@dataclass(frozen=True)
class Variable:
    name: str
    label: str
    numeric: bool = False
    origin: str = "Collected"  # Define-XML def:Origin Type


@dataclass(frozen=True)
class Domain:
    name: str
    label: str
    klass: str  # Define-XML def:Class
    structure: str
    variables: tuple[Variable, ...]
    rows: tuple[dict[str, Any], ...]


def _v(name: str, label: str, numeric: bool = False, origin: str = "Collected") -> Variable:
    return Variable(name, label, numeric, origin)


IDS = (
    _v("STUDYID", "Study Identifier", origin="Assigned"),
    _v("DOMAIN", "Domain Abbreviation", origin="Assigned"),
    _v("USUBJID", "Unique Subject Identifier", origin="Derived"),
)


def test_code(item: str) -> str:
    return TEST_CODES.get(item) or re.sub(r"[^A-Z0-9]", "", item.upper())[:8]


_NUMBER = r"(\d[\d,]*(?:\.\d+)?)"
_RANGE = re.compile(rf"^≈?\s*{_NUMBER}\s*[–-]\s*{_NUMBER}$")
_BELOW = re.compile(rf"^<\s*{_NUMBER}(?:\s+[A-Za-z]+)?$")


def reference_range(text: str | None) -> tuple[float | None, float | None] | None:
    """A reference range as forms.yaml writes it (``3.5–9.5``, ``≈ 190–1,100``, ``< 10``);
    None for none or for one that depends on sex (``M 30–400; F 15–150``)."""
    if not text:
        return None
    cleaned = text.strip()
    if match := _RANGE.match(cleaned):
        low, high = (float(g.replace(",", "")) for g in match.groups())
        return low, high
    if match := _BELOW.match(cleaned):
        return None, float(match.group(1).replace(",", ""))
    return None


def test_name(label: str) -> str:
    """A test's name as --TEST holds it: ASCII, at most 40 characters (SDTMIG 3.3 §4.5.3)."""
    return label.translate(SPELLED)[:40]


def arm_code(arm: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", arm.upper())[:20]


def _ids(data: TrialData, domain: str, subject: str) -> dict[str, Any]:
    return {"STUDYID": data.study.code, "DOMAIN": domain, "USUBJID": f"{data.study.code}-{subject}"}


def dm(data: TrialData) -> Domain:
    variables = (
        *IDS,
        _v("SUBJID", "Subject Identifier for the Study"),
        _v("RFSTDTC", "Subject Reference Start Date/Time", origin="Derived"),
        _v("SITEID", "Study Site Identifier"),
        _v("BRTHDTC", "Date/Time of Birth"),
        _v("SEX", "Sex"),
        _v("ARMCD", "Planned Arm Code", origin="Assigned"),
        _v("ARM", "Description of Planned Arm", origin="Assigned"),
        _v("ACTARMCD", "Actual Arm Code", origin="Assigned"),
        _v("ACTARM", "Description of Actual Arm", origin="Assigned"),
    )
    rows = []
    for s in data.subjects:
        if s.day0 is None:
            continue  # SDTM DM holds the randomised subjects
        arm, code = (s.arm, arm_code(s.arm)) if s.arm and not data.blinded else (MASKED, MASKED)
        rows.append(
            {
                **_ids(data, "DM", s.code),
                "SUBJID": s.code,
                "RFSTDTC": s.day0.isoformat(),
                "SITEID": s.site,
                "BRTHDTC": str(s.year_of_birth) if s.year_of_birth else "",
                "SEX": SEX.get(s.sex or "", "U"),
                "ARMCD": code,
                "ARM": arm,
                "ACTARMCD": code,
                "ACTARM": arm,
            }
        )
    return Domain("DM", "Demographics", "SPECIAL PURPOSE", "One record per subject",
                  variables, tuple(rows))  # fmt: skip


def ex(data: TrialData) -> Domain:
    unblinded = not data.blinded
    variables = [
        *IDS,
        _v("EXSEQ", "Sequence Number", numeric=True, origin="Derived"),
        _v("EXTRT", "Name of Treatment"),
        _v("EXSTDTC", "Start Date/Time of Treatment"),
        _v("EXENDTC", "End Date/Time of Treatment"),
    ]
    if unblinded:
        variables += [
            _v("EXLOT", "Lot Number"),
            _v("EXVAMT", "Treatment Vehicle Amount", numeric=True),
            _v("EXVAMTU", "Treatment Vehicle Amount Units"),
        ]
    rows = []
    for seq, inf in enumerate(sorted(data.infusions, key=lambda i: (i.subject, i.number)), 1):
        row: dict[str, Any] = {
            **_ids(data, "EX", inf.subject),
            "EXSEQ": float(seq),
            "EXTRT": (inf.product_kind or "").upper() if unblinded else "BLINDED TREATMENT",
            "EXSTDTC": inf.started_at.isoformat(timespec="minutes"),
            "EXENDTC": inf.stopped_at.isoformat(timespec="minutes") if inf.stopped_at else "",
        }
        if unblinded:
            row["EXLOT"] = " ".join(inf.lots)
            row["EXVAMT"] = inf.volume_ml
            row["EXVAMTU"] = "mL" if inf.volume_ml is not None else ""
        rows.append(row)
    return Domain("EX", "Exposure", "INTERVENTIONS", "One record per infusion per subject",
                  tuple(variables), tuple(rows))  # fmt: skip


def ae(data: TrialData) -> Domain:
    variables = (
        *IDS,
        _v("AESEQ", "Sequence Number", numeric=True, origin="Derived"),
        _v("AETERM", "Reported Term for the Adverse Event"),
        _v("AEDECOD", "Dictionary-Derived Term", origin="Assigned"),
        _v("AESTDTC", "Start Date/Time of Adverse Event"),
        _v("AEENDTC", "End Date/Time of Adverse Event"),
        _v("AETOXGR", "Standard Toxicity Grade"),
        _v("AESER", "Serious Event"),
        _v("AEREL", "Causality"),
        _v("AEOUT", "Outcome of Adverse Event"),
    )
    rows = []
    for seq, e in enumerate(sorted(data.adverse_events, key=lambda e: (e.subject, e.number)), 1):
        rows.append(
            {
                **_ids(data, "AE", e.subject),
                "AESEQ": float(seq),
                "AETERM": e.term,
                "AEDECOD": e.term.upper(),
                "AESTDTC": e.onset.isoformat(),
                "AEENDTC": e.end.isoformat() if e.end else "",
                "AETOXGR": str(e.grade) if e.grade is not None else "",
                "AESER": "Y" if e.serious else "N",
                "AEREL": "RELATED" if e.related else "NOT RELATED",
                "AEOUT": (e.outcome or "").replace("_", " ").upper(),
            }
        )
    return Domain("AE", "Adverse Events", "EVENTS", "One record per adverse event per subject",
                  variables, tuple(rows))  # fmt: skip


class _Findings:
    """What a findings row needs of the study: each item's label and reference range, and each
    visit's number in the schedule."""

    def __init__(self, study: StudyMeta) -> None:
        self.code = study.code
        self.labels = {(f.name, i.name): i.label for f in study.forms for i in f.items}
        self.ranges = {
            (f.name, i.name): reference_range(i.reference) for f in study.forms for i in f.items
        }
        self.visit_num = {v.name: float(n) for n, v in enumerate(study.visits, 1)}
        self.tests: dict[tuple[str, str], tuple[str, str]] = {}

    def test(self, form: str, item: str) -> tuple[str, str]:
        """An item's --TESTCD and --TEST, worked out once."""
        key = (form, item)
        if key not in self.tests:
            self.tests[key] = (test_code(item), test_name(self.labels.get(key, item)))
        return self.tests[key]

    def row(self, prefix: str, seq: int, v: ValueRecord) -> dict[str, Any]:
        shown = f"{v.number:.6g}"
        low, high = self.ranges.get((v.form, v.item)) or (None, None)
        code, name = self.test(v.form, v.item)
        return {
            "STUDYID": self.code,
            "DOMAIN": prefix,
            "USUBJID": f"{self.code}-{v.subject}",
            f"{prefix}SEQ": float(seq),
            f"{prefix}TESTCD": code,
            f"{prefix}TEST": name,
            f"{prefix}CAT": v.form.upper(),
            f"{prefix}ORRES": shown,
            f"{prefix}ORRESU": v.unit or "",
            f"{prefix}STRESC": shown,
            f"{prefix}STRESN": v.number,
            f"{prefix}STRESU": v.unit or "",
            f"{prefix}ORNRLO": "" if low is None else f"{low:g}",
            f"{prefix}ORNRHI": "" if high is None else f"{high:g}",
            f"{prefix}STNRLO": low,
            f"{prefix}STNRHI": high,
            "VISITNUM": self.visit_num.get(v.visit),
            "VISIT": v.visit.upper(),
            f"{prefix}DTC": v.visit_date.isoformat() if v.visit_date else "",
        }


def findings_domain(form: str) -> str | None:
    """The findings domain a form's numeric values go to: LB, VS, or none."""
    return "LB" if form in LB_FORMS else "VS" if form == VS_FORM else None


def findings_rows(study: StudyMeta, values: Iterable[ValueRecord]) -> Iterator[tuple[str, dict]]:
    """Each numeric laboratory or vital-sign value as (``LB`` or ``VS``, its row), in the order
    given, each domain numbering its records from 1: a stream, so no domain sits in memory."""
    findings = _Findings(study)
    seq = {"LB": 0, "VS": 0}
    for v in values:
        prefix = findings_domain(v.form)
        if prefix is None or v.number is None:
            continue
        seq[prefix] += 1
        yield prefix, findings.row(prefix, seq[prefix], v)


def _findings(data: TrialData, prefix: str) -> list[dict[str, Any]]:
    visit_num = {v.name: n for n, v in enumerate(data.study.visits, 1)}
    chosen = sorted(
        data.values, key=lambda v: (v.subject, visit_num.get(v.visit, 0), v.form, v.item)
    )
    return [row for domain, row in findings_rows(data.study, chosen) if domain == prefix]


def _findings_variables(prefix: str, what: str) -> tuple[Variable, ...]:
    ranges = (
        _v(f"{prefix}ORNRLO", "Reference Range Lower Limit in Orig Unit", origin="Assigned"),
        _v(f"{prefix}ORNRHI", "Reference Range Upper Limit in Orig Unit", origin="Assigned"),
        _v(f"{prefix}STNRLO", "Reference Range Lower Limit-Std Units", True, "Assigned"),
        _v(f"{prefix}STNRHI", "Reference Range Upper Limit-Std Units", True, "Assigned"),
    )
    return (
        *IDS,
        _v(f"{prefix}SEQ", "Sequence Number", numeric=True, origin="Derived"),
        _v(f"{prefix}TESTCD", f"{what} Short Name", origin="Assigned"),
        _v(f"{prefix}TEST", f"{what} Name", origin="Assigned"),
        _v(f"{prefix}CAT", "Category", origin="Assigned"),
        _v(f"{prefix}ORRES", "Result or Finding in Original Units"),
        _v(f"{prefix}ORRESU", "Original Units"),
        _v(f"{prefix}STRESC", "Character Result/Finding in Std Format", origin="Derived"),
        _v(f"{prefix}STRESN", "Numeric Result/Finding in Standard Units", True, "Derived"),
        _v(f"{prefix}STRESU", "Standard Units", origin="Derived"),
        *ranges,
        _v("VISITNUM", "Visit Number", numeric=True, origin="Assigned"),
        _v("VISIT", "Visit Name", origin="Assigned"),
        _v(f"{prefix}DTC", "Date/Time of Collection"),
    )


def lb(data: TrialData) -> Domain:
    return Domain("LB", "Laboratory Test Results", "FINDINGS",
                  "One record per lab test per visit per subject",
                  _findings_variables("LB", "Lab Test or Examination"),
                  tuple(_findings(data, "LB")))  # fmt: skip


def vs(data: TrialData) -> Domain:
    return Domain("VS", "Vital Signs", "FINDINGS",
                  "One record per vital sign measurement per visit per subject",
                  _findings_variables("VS", "Vital Signs Test"),
                  tuple(_findings(data, "VS")))  # fmt: skip


def domains(data: TrialData) -> tuple[Domain, ...]:
    """Every domain the platform's data fill, in the SDTMIG's order."""
    return (dm(data), ex(data), ae(data), lb(data), vs(data))
