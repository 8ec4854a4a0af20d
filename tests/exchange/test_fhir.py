"""FHIR R4 export: every resource parsed by fhir.resources' R4B models; the codes, units and
references, which those models do not check, checked here."""

from __future__ import annotations

import json

import pytest

from msctrial.exchange.fhir import LOINC, LOINC_CODES, UCUM, bundle
from msctrial.exchange.source import gather
from msctrial.exchange.validate import fhir_errors
from tests.exchange.conftest import actor


def loinc_check_digit(code: str) -> bool:
    """LOINC's mod-10 check digit (LOINC Users' Guide, appendix: the Luhn-like algorithm)."""
    body, digit = code.split("-")
    digits = [int(c) for c in body]
    odd = "".join(str(d) for d in digits[::-1][::2])[::-1]
    even = "".join(str(d) for d in digits[::-1][1::2])[::-1]
    total = sum(int(c) for c in str(int(odd) * 2)) + sum(int(c) for c in even)
    return (10 - total % 10) % 10 == int(digit)


@pytest.fixture(params=["monitor", "dsmb"])
def exported(request, session) -> dict:  # noqa: ANN001
    return bundle(gather(session, actor(request.param)))


def test_every_resource_is_valid_fhir_r4(exported: dict) -> None:
    assert fhir_errors(exported) == []
    kinds = {e["resource"]["resourceType"] for e in exported["entry"]}
    assert kinds == {
        "ResearchStudy", "Patient", "ResearchSubject", "Observation", "AdverseEvent",
        "MedicationAdministration",
    }  # fmt: skip


def test_fhir_resources_refuses_a_research_subject_without_its_status(exported: dict) -> None:
    broken = json.loads(json.dumps(exported))
    subject = next(e for e in broken["entry"] if e["resource"]["resourceType"] == "ResearchSubject")
    del subject["resource"]["status"]
    errors = fhir_errors(broken)
    assert errors and any("status" in e for e in errors)


def test_every_reference_points_at_an_entry_of_the_bundle(exported: dict) -> None:
    urls = {e["fullUrl"] for e in exported["entry"]}
    kinds = {e["fullUrl"]: e["resource"]["resourceType"] for e in exported["entry"]}
    for entry in exported["entry"]:
        r = entry["resource"]
        if r["resourceType"] == "ResearchSubject":
            assert kinds[r["study"]["reference"]] == "ResearchStudy"
            assert kinds[r["individual"]["reference"]] == "Patient"
        if r["resourceType"] == "AdverseEvent":
            assert kinds[r["subject"]["reference"]] == "Patient"
            assert kinds[r["study"][0]["reference"]] == "ResearchStudy"
        if r["resourceType"] == "Observation":
            assert r["subject"]["reference"] in urls
            assert kinds[r["subject"]["reference"]] == "Patient"


def test_a_patient_holds_only_the_trial_code_year_of_birth_and_sex(exported: dict) -> None:
    patients = [
        e["resource"] for e in exported["entry"] if e["resource"]["resourceType"] == "Patient"
    ]
    assert patients
    for p in patients:
        assert set(p) <= {"resourceType", "identifier", "gender", "birthDate"}
        assert len(p.get("birthDate", "1900")) == 4


def test_observations_use_valid_loinc_codes_and_ucum_units(exported: dict) -> None:
    assert all(loinc_check_digit(code) for code, _ in LOINC_CODES.values())
    observations = [
        e["resource"] for e in exported["entry"] if e["resource"]["resourceType"] == "Observation"
    ]
    coded = [o for o in observations if o["code"]["coding"][0]["system"] == LOINC]
    assert coded
    pao2 = next(o for o in coded if o["code"]["coding"][0]["code"] == "2703-7")
    assert pao2["valueQuantity"]["system"] == UCUM
    assert pao2["valueQuantity"]["code"] == "mm[Hg]"


def test_the_arm_is_in_research_subject_only_for_an_unblinded_reader(session) -> None:  # noqa: ANN001
    def arms(role: str) -> set:
        b = bundle(gather(session, actor(role)))
        return {
            e["resource"].get("assignedArm")
            for e in b["entry"]
            if e["resource"]["resourceType"] == "ResearchSubject"
        }

    assert arms("monitor") == {None}
    assert None not in arms("dsmb")


def test_the_command_writes_the_bundle(cli, trial_url, tmp_path) -> None:  # noqa: ANN001
    out = tmp_path / "bundle.json"
    result = cli("export", "fhir", "--db", trial_url, "--out", out)
    assert result.code == 0, result.err
    assert fhir_errors(json.loads(out.read_text())) == []


def test_every_adverse_event_is_one_resource_with_fhir_codes(session) -> None:  # noqa: ANN001
    data = gather(session, actor("monitor"))
    events = [
        e["resource"]
        for e in bundle(data)["entry"]
        if e["resource"]["resourceType"] == "AdverseEvent"
    ]
    assert len(events) == len(data.adverse_events) > 0
    outcomes = {"resolved", "recovering", "ongoing", "resolvedWithSequelae", "fatal", "unknown"}
    for ae in events:
        assert ae["seriousness"]["coding"][0]["code"] in {"serious", "non-serious"}
        assert ae["outcome"]["coding"][0]["code"] in outcomes


def test_an_infusion_names_its_lot_and_volume_to_an_unblinded_reader_only(session) -> None:  # noqa: ANN001
    def given(role: str) -> list[dict]:
        return [
            e["resource"]
            for e in bundle(gather(session, actor(role)))["entry"]
            if e["resource"]["resourceType"] == "MedicationAdministration"
        ]

    blinded, unblinded = given("monitor"), given("dsmb")
    assert len(blinded) == len(unblinded) > 0
    assert all(set(r) >= {"medicationCodeableConcept"} and "dosage" not in r for r in blinded)
    assert all(r["contained"][0]["batch"]["lotNumber"] for r in unblinded)
    assert all(r["dosage"]["dose"]["code"] == "mL" for r in unblinded)
