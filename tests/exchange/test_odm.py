"""ODM 1.3.2 export: valid against CDISC's own XSD (as odmlib ships it), and faithful."""

from __future__ import annotations

import csv
import io

import pytest
from lxml import etree

from msctrial.clinical.casebook.listings import export_values_csv
from msctrial.core.errors import InvalidInput
from msctrial.exchange.model import oid
from msctrial.exchange.odm import ODM_NS, odm_bytes
from msctrial.exchange.source import gather
from msctrial.exchange.validate import schema_errors
from tests.exchange.conftest import actor, site_id

NS = {"odm": ODM_NS}


@pytest.fixture
def full(session) -> bytes:  # noqa: ANN001
    return odm_bytes(gather(session, actor("monitor")))


def test_the_metadata_only_export_is_valid_odm_1_3_2_and_holds_no_subject(session) -> None:
    document = odm_bytes(gather(session, actor("monitor"), metadata_only=True))
    assert schema_errors(document, "odm-1.3.2") == []
    root = etree.fromstring(document)
    assert root.find("odm:ClinicalData", NS) is None


def test_the_full_export_is_valid_odm_1_3_2(full: bytes) -> None:
    assert schema_errors(full, "odm-1.3.2") == []


def test_the_schema_refuses_an_item_without_a_data_type(full: bytes) -> None:
    root = etree.fromstring(full)
    item = root.find(".//odm:ItemDef", NS)
    del item.attrib["DataType"]
    errors = schema_errors(etree.tostring(root), "odm-1.3.2")
    assert errors and "DataType" in errors[0]


def test_every_protocol_visit_is_a_study_event_in_schedule_order(session, full: bytes) -> None:
    study = gather(session, actor("monitor"), metadata_only=True).study
    root = etree.fromstring(full)
    refs = [r.get("StudyEventOID") for r in root.iterfind(".//odm:Protocol/odm:StudyEventRef", NS)]
    assert refs == [oid("SE", v.name) for v in study.visits]
    names = [d.get("Name") for d in root.iterfind(".//odm:StudyEventDef", NS)]
    assert names == [v.name for v in study.visits]


def test_an_item_carries_its_type_unit_and_range_checks(full: bytes) -> None:
    root = etree.fromstring(full)
    pao2 = root.find(".//odm:ItemDef[@OID='I.BLOOD_GAS.PAO2']", NS)
    assert pao2.get("DataType") == "float"
    unit_oid = pao2.find("odm:MeasurementUnitRef", NS).get("MeasurementUnitOID")
    unit = root.find(f".//odm:MeasurementUnit[@OID='{unit_oid}']", NS)
    assert unit.get("Name") == "mmHg"
    checks = {
        (c.get("SoftHard"), c.get("Comparator")): c.findtext("odm:CheckValue", namespaces=NS)
        for c in pao2.iterfind("odm:RangeCheck", NS)
    }
    # forms.yaml: pao2 hard [20, 700], soft [40, 500]
    assert checks == {
        ("Hard", "GE"): "20",
        ("Hard", "LE"): "700",
        ("Soft", "GE"): "40",
        ("Soft", "LE"): "500",
    }


def test_a_choice_item_refers_to_its_code_list(full: bytes) -> None:
    root = etree.fromstring(full)
    modality = root.find(".//odm:ItemDef[@OID='I.IMAGING.MODALITY']", NS)
    code_list = modality.find("odm:CodeListRef", NS).get("CodeListOID")
    coded = [
        i.get("CodedValue")
        for i in root.iterfind(f".//odm:CodeList[@OID='{code_list}']/odm:CodeListItem", NS)
    ]
    assert coded == ["ct", "chest_xray", "bedside_chest_film"]


def test_every_listed_value_is_one_item_data_with_the_same_value(session, full: bytes) -> None:
    rows = list(csv.DictReader(io.StringIO(export_values_csv(session, actor("monitor")))))
    root = etree.fromstring(full)
    found = {}
    for sd in root.iterfind(".//odm:SubjectData", NS):
        for se in sd.iterfind("odm:StudyEventData", NS):
            for item in se.iterfind(".//odm:ItemData", NS):
                key = (sd.get("SubjectKey"), se.get("StudyEventOID"), item.get("ItemOID"))
                found[key] = item.get("Value")
    assert len(found) == len(rows) > 0
    for row in rows:
        key = (row["subject"], oid("SE", row["visit"]), oid("I", row["form"], row["item"]))
        expected = repr(float(row["value"])) if row["value"] else row["text"]
        assert found[key] == expected


def test_a_site_investigator_exports_only_their_sites_subjects(session) -> None:
    wuh = actor("investigator", site_id=site_id(session, "WUH"))
    root = etree.fromstring(odm_bytes(gather(session, wuh)))
    keys = [s.get("SubjectKey") for s in root.iterfind(".//odm:SubjectData", NS)]
    assert keys and all(k.startswith("WUH-") for k in keys)


def test_an_oid_from_a_name_without_letters_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        oid("SE", "—")
    assert caught.value.field == "oid"


def test_the_command_writes_a_valid_file_and_refuses_a_missing_folder(
    cli, trial_url: str, tmp_path
) -> None:  # noqa: ANN001
    out = tmp_path / "study.xml"
    result = cli("export", "odm", "--db", trial_url, "--out", out)
    assert result.code == 0, result.err
    assert "(blinded)" in result.out
    assert schema_errors(out.read_bytes(), "odm-1.3.2") == []
    bad = cli("export", "odm", "--db", trial_url, "--out", tmp_path / "nowhere" / "x.xml")
    assert bad.code == 2
    assert "out:" in bad.err


def test_each_subject_refers_to_its_site_as_an_admin_data_location(full: bytes) -> None:
    root = etree.fromstring(full)
    locations = {
        loc.get("OID"): loc.get("Name")
        for loc in root.iterfind(".//odm:AdminData/odm:Location", NS)
    }
    subjects = list(root.iterfind(".//odm:SubjectData", NS))
    assert set(locations.values()) == {s.get("SubjectKey").split("-")[0] for s in subjects}
    for subject in subjects:
        site = locations[subject.find("odm:SiteRef", NS).get("LocationOID")]
        assert subject.get("SubjectKey").startswith(f"{site}-")
