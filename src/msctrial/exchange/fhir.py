"""FHIR R4 (4.3, "R4B"): a collection Bundle of the trial as plain JSON-ready dicts. Pure.

ResearchStudy for the trial; per subject a pseudonymised Patient (no name: the trial code as
its only identifier, the year of birth, the sex) and a ResearchSubject, whose arm is given only
to an unblinded reader; per value an Observation coded in LOINC where the item has a code (else
in msctrial's own item system) with UCUM units; per adverse event an AdverseEvent with its
seriousness, severity (from the CTCAE grade) and outcome; per infusion a
MedicationAdministration, naming the product, its lots and the volume to unblinded readers only. References point at each entry's ``fullUrl``.
"""

from __future__ import annotations

import uuid
from typing import Any

from msctrial.exchange.model import (
    AdverseEventRecord,
    InfusionRecord,
    SubjectRecord,
    TrialData,
    ValueRecord,
)

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ITEMS = "urn:msctrial:item"  # msctrial's own code system: form.item
TRIAL_IDS = "urn:msctrial:subject"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
_NAMESPACE = uuid.UUID("5b2f7c4e-0b4e-4f7a-9a55-6d1c1e0a7f31")  # fixes each entry's uuid

# LOINC codes of the items that have one (loinc.org; each code's check digit is tested).
LOINC_CODES = {
    "respiratory_rate": ("9279-1", "Respiratory rate"),
    "heart_rate": ("8867-4", "Heart rate"),
    "temperature": ("8310-5", "Body temperature"),
    "spo2": ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"),
    "systolic_bp": ("8480-6", "Systolic blood pressure"),
    "diastolic_bp": ("8462-4", "Diastolic blood pressure"),
    "pao2": ("2703-7", "Oxygen [Partial pressure] in Arterial blood"),
    "paco2": ("2019-8", "Carbon dioxide [Partial pressure] in Arterial blood"),
    "ph": ("2744-1", "pH of Arterial blood"),
    "fio2": ("3150-0", "Inhaled oxygen concentration"),
    "wbc": ("6690-2", "Leukocytes [#/volume] in Blood by Automated count"),
    "neutrophils": ("751-8", "Neutrophils [#/volume] in Blood by Automated count"),
    "lymphocytes": ("731-0", "Lymphocytes [#/volume] in Blood by Automated count"),
    "platelets": ("777-3", "Platelets [#/volume] in Blood by Automated count"),
    "haemoglobin": ("718-7", "Hemoglobin [Mass/volume] in Blood"),
}
# msctrial's unit spellings that UCUM writes otherwise; the rest are UCUM already.
UCUM_CODES = {
    "mmHg": "mm[Hg]",
    "degC": "Cel",
    "10^9/L": "10*9/L",
    "cmH2O": "cm[H2O]",
    "1/min": "/min",
}
VITAL_FORMS = ("vital_signs",)
GENDER = {"male": "male", "female": "female"}
AE_CODES = "http://terminology.hl7.org/CodeSystem/adverse-event-"
# safety.rules.Outcome → FHIR's adverse-event-outcome codes.
AE_OUTCOMES = {
    "recovered": "resolved",
    "recovering": "recovering",
    "not_recovered": "ongoing",
    "recovered_with_sequelae": "resolvedWithSequelae",
    "fatal": "fatal",
}


def full_url(*parts: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, '/'.join(parts))}"


def _entry(url: str, resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": url, "resource": resource}


def research_study(data: TrialData) -> dict[str, Any]:
    study = data.study
    resource: dict[str, Any] = {
        "resourceType": "ResearchStudy",
        "identifier": [{"system": "urn:msctrial:trial", "value": study.code}],
        "title": study.title,
        "status": "active",
    }
    if not data.blinded:
        resource["arm"] = [{"name": arm} for arm in study.arms]
    return resource


def patient(subject: SubjectRecord) -> dict[str, Any]:
    """A pseudonymised patient: the trial code, the year of birth and the sex, nothing else."""
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "identifier": [{"system": TRIAL_IDS, "value": subject.code}],
        "gender": GENDER.get(subject.sex or "", "unknown"),
    }
    if subject.year_of_birth:
        resource["birthDate"] = str(subject.year_of_birth)
    return resource


def research_subject(subject: SubjectRecord, study_url: str, blinded: bool) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "ResearchSubject",
        "identifier": [{"system": TRIAL_IDS, "value": subject.code}],
        "status": "on-study" if subject.day0 else "candidate",
        "study": {"reference": study_url},
        "individual": {"reference": full_url("Patient", subject.code)},
    }
    if subject.day0:
        resource["period"] = {"start": subject.day0.isoformat()}
    if subject.arm and not blinded:
        resource["assignedArm"] = resource["actualArm"] = subject.arm
    return resource


def observation_code(value: ValueRecord) -> dict[str, Any]:
    coding = [{"system": ITEMS, "code": f"{value.form}.{value.item}"}]
    if value.item in LOINC_CODES:
        code, display = LOINC_CODES[value.item]
        coding.insert(0, {"system": LOINC, "code": code, "display": display})
    return {"coding": coding, "text": value.item}


def observation(value: ValueRecord, patient_url: str) -> dict[str, Any]:
    category = "vital-signs" if value.form in VITAL_FORMS else "laboratory"
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{"system": CATEGORY, "code": category}]}],
        "code": observation_code(value),
        "subject": {"reference": patient_url},
    }
    if value.visit_date:
        resource["effectiveDateTime"] = value.visit_date.isoformat()
    if value.number is not None:
        unit = value.unit or "1"
        resource["valueQuantity"] = {
            "value": value.number,
            "unit": unit,
            "system": UCUM,
            "code": UCUM_CODES.get(unit, unit),
        }
    elif value.text in ("true", "false"):
        resource["valueBoolean"] = value.text == "true"
    else:
        resource["valueString"] = value.text or ""
    return resource


def _severity(grade: int | None) -> str | None:
    """CTCAE grade → FHIR severity: 1 mild, 2 moderate, 3 and above severe."""
    if grade is None:
        return None
    return "mild" if grade <= 1 else "moderate" if grade == 2 else "severe"


def adverse_event(ae: AdverseEventRecord, patient_url: str, study_url: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "AdverseEvent",
        "identifier": {
            "system": "urn:msctrial:adverse-event",
            "value": f"{ae.subject}-{ae.number}",
        },
        "actuality": "actual",
        "event": {"text": ae.term},
        "subject": {"reference": patient_url},
        "date": ae.onset.isoformat(),
        "seriousness": {
            "coding": [
                {
                    "system": f"{AE_CODES}seriousness",
                    "code": "serious" if ae.serious else "non-serious",
                }
            ]
        },  # fmt: skip
        "outcome": {
            "coding": [
                {
                    "system": f"{AE_CODES}outcome",
                    "code": AE_OUTCOMES.get(ae.outcome or "", "unknown"),
                }
            ]
        },  # fmt: skip
        "study": [{"reference": study_url}],
    }
    severity = _severity(ae.grade)
    if severity:
        resource["severity"] = {"coding": [{"system": f"{AE_CODES}severity", "code": severity}]}
    return resource


def administration(inf: InfusionRecord, patient_url: str, blinded: bool) -> dict[str, Any]:
    """An infusion as a MedicationAdministration; what was given (the product, its lots and
    the volume) only for an unblinded reader, as a contained Medication with its batch."""
    period = {"start": inf.started_at.isoformat()}
    if inf.stopped_at:
        period["end"] = inf.stopped_at.isoformat()
    resource: dict[str, Any] = {
        "resourceType": "MedicationAdministration",
        "identifier": [{"system": "urn:msctrial:infusion", "value": f"{inf.subject}-{inf.number}"}],
        "status": "completed",
        "subject": {"reference": patient_url},
        "effectivePeriod": period,
    }
    if blinded or not inf.product_kind:
        resource["medicationCodeableConcept"] = {"text": "blinded study treatment"}
        return resource
    medication: dict[str, Any] = {
        "resourceType": "Medication",
        "id": "given",
        "code": {"text": inf.product_kind},
    }
    if inf.lots:
        medication["batch"] = {"lotNumber": " ".join(inf.lots)}
    resource["contained"] = [medication]
    resource["medicationReference"] = {"reference": "#given"}
    if inf.volume_ml is not None:
        resource["dosage"] = {
            "dose": {"value": inf.volume_ml, "unit": "mL", "system": UCUM, "code": "mL"}
        }
    return resource


def bundle(data: TrialData) -> dict[str, Any]:
    """The collection Bundle: the study, then each subject's patient, enrolment and values."""
    study_url = full_url("ResearchStudy", data.study.code)
    entries = [_entry(study_url, research_study(data))]
    by_subject: dict[str, list[ValueRecord]] = {}
    for v in data.values:
        by_subject.setdefault(v.subject, []).append(v)
    given: dict[str, list[InfusionRecord]] = {}
    for inf in data.infusions:
        given.setdefault(inf.subject, []).append(inf)
    events: dict[str, list[AdverseEventRecord]] = {}
    for ae in data.adverse_events:
        events.setdefault(ae.subject, []).append(ae)
    for s in data.subjects:
        patient_url = full_url("Patient", s.code)
        entries.append(_entry(patient_url, patient(s)))
        entries.append(
            _entry(
                full_url("ResearchSubject", s.code), research_subject(s, study_url, data.blinded)
            )
        )
        for v in by_subject.get(s.code, []):
            url = full_url("Observation", s.code, v.visit, v.form, v.item)
            entries.append(_entry(url, observation(v, patient_url)))
        for inf in given.get(s.code, []):
            url = full_url("MedicationAdministration", s.code, str(inf.number))
            entries.append(_entry(url, administration(inf, patient_url, data.blinded)))
        for ae in events.get(s.code, []):
            url = full_url("AdverseEvent", s.code, str(ae.number))
            entries.append(_entry(url, adverse_event(ae, patient_url, study_url)))
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": data.exported_at.isoformat(timespec="seconds"),
        "entry": entries,
    }
