"""`import odm`: ODM metadata into msctrial forms, a lossless round trip, and refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from msctrial.clinical.visits.forms import catalogue, parse_forms
from msctrial.exchange import read_odm
from msctrial.exchange.model import FormMeta, ItemMeta, StudyMeta, TrialData, VisitMeta
from msctrial.exchange.odm import ODM_NS, odm_bytes
from msctrial.exchange.odm_import import OdmImport
from msctrial.exchange.source import gather
from tests.exchange.conftest import actor

FOREIGN = Path(__file__).parent / "data" / "foreign_odm.xml"
_E = f"{{{ODM_NS}}}"


def as_study(imported: OdmImport) -> StudyMeta:
    """The imported forms, loaded by the platform's own forms reader, as export metadata."""
    forms = parse_forms(imported.to_yaml())
    return StudyMeta(
        code=imported.study.code,
        title=imported.study.title,
        protocol_version=imported.study.version,
        arms=(),
        visits=tuple(VisitMeta(v["name"], 0, 0, tuple(v["forms"])) for v in imported.visits),
        forms=tuple(
            FormMeta(
                name,
                form.label,
                tuple(
                    ItemMeta(
                        i.name,
                        i.label,
                        i.kind.value,
                        i.unit,
                        None if i.hard is None else (i.hard.low, i.hard.high),
                        None if i.soft is None else (i.soft.low, i.soft.high),
                        i.choices,
                        i.required,
                        i.derived,
                    )
                    for i in form.items
                ),
            )  # fmt: skip
            for name, form in forms.items()
        ),
    )


def shape(el: etree._Element) -> tuple:
    """An element compared element by element: tag, attributes, text and children in order."""
    return (el.tag, dict(el.attrib), (el.text or "").strip(), [shape(c) for c in el])


def metadata_of(document: bytes) -> list[tuple]:
    study = etree.fromstring(document).find(_E + "Study")
    return [shape(study.find(_E + tag)) for tag in ("BasicDefinitions", "MetaDataVersion")]


def test_our_metadata_imported_and_exported_again_is_the_same_element_by_element(session) -> None:
    first = gather(session, actor("monitor"), metadata_only=True)
    document = odm_bytes(first)
    imported = read_odm(document)
    assert imported.unmapped == ()
    again = odm_bytes(TrialData(as_study(imported), True, "test", first.exported_at,
                                metadata_only=True))  # fmt: skip
    assert metadata_of(again) == metadata_of(document)


def test_imported_items_are_the_platforms_own_items(session) -> None:
    imported = read_odm(odm_bytes(gather(session, actor("monitor"), metadata_only=True)))
    forms = parse_forms(imported.to_yaml())
    own = catalogue()
    assert forms and set(forms) <= set(own)
    for name, form in forms.items():
        # ODM carries no edit-check source, help, reference range or derivation flag.
        keep = ("name", "label", "kind", "unit", "hard", "soft", "choices", "required")
        got = [tuple(getattr(i, k) for k in keep) for i in form.items]
        assert got == [tuple(getattr(i, k) for k in keep) for i in own[name].items]


def test_the_visits_are_the_protocols_study_events_in_order(session) -> None:
    meta = gather(session, actor("monitor"), metadata_only=True)
    imported = read_odm(odm_bytes(meta))
    assert [(v["name"], tuple(v["forms"])) for v in imported.visits] == [
        (v.name, v.forms) for v in meta.study.visits
    ]


def test_a_full_export_imports_its_forms_and_names_the_clinical_data_left_out(session) -> None:
    imported = read_odm(odm_bytes(gather(session, actor("monitor"))))
    assert {u.construct for u in imported.unmapped} == {"ClinicalData", "AdminData"}
    assert imported.forms


@pytest.fixture(scope="module")
def foreign() -> OdmImport:
    return read_odm(FOREIGN.read_bytes())


def test_another_systems_items_map_by_their_data_type_units_ranges_and_code_lists(
    foreign: OdmImport,
) -> None:
    demog = {i["name"]: i for i in foreign.forms["demog"]["items"]}
    assert list(demog) == ["age", "weight", "sex", "bmi"]  # ItemRef OrderNumber, no photo
    assert demog["age"] == {"name": "age", "label": "Age in years", "hard": [18.0, None],
                            "soft": [None, 90.0]}  # fmt: skip
    assert demog["weight"]["unit"] == "kg" and demog["weight"]["units"] == ["lb"]
    assert demog["weight"]["required"] is True
    assert demog["sex"]["kind"] == "choice" and demog["sex"]["choices"] == ["M", "F"]
    assert demog["sex"]["help"] == "codes: M = Male; F = Female"
    assert demog["bmi"]["derived"] is True
    conmed = {i["name"]: i for i in foreign.forms["conmed"]["items"]}
    assert conmed["cmroute"]["choices"] == ["oral", "intravenous"]
    assert conmed["cmstart"]["kind"] == "text"
    assert [v["name"] for v in foreign.visits] == ["Baseline", "Week 1"]
    parse_forms(foreign.to_yaml())  # the platform's forms reader takes the result


@pytest.mark.parametrize(
    ("construct", "oid", "words"),
    [
        ("ItemDef", "I.PHOTO", "base64Binary"),
        ("ItemDef", "I.CMSTART", "datetime is read as text"),
        ("ItemDef", "I.AGE", "whole numbers"),
        ("RangeCheck", "I.AGE", "LT 90"),
        ("RangeCheck", "I.WEIGHT", "IN check"),
        ("ItemRef", "I.BMI", "MT.BMI"),
        ("MethodDef", "MT.BMI", "no such definition"),
        ("FormDef", "F.CONMED", "repeats"),
        ("ItemGroupDef", "IG.CONMED", "repeats"),
        ("StudyEventDef", "SE.WEEK1", "repeats"),
    ],
)
def test_every_construct_that_does_not_map_is_named(foreign, construct, oid, words) -> None:  # noqa: ANN001
    found = [u for u in foreign.unmapped if (u.construct, u.oid) == (construct, oid)]
    assert any(words in u.reason for u in found), foreign.unmapped


def test_the_command_round_trip_writes_the_forms_and_says_what_it_read(
    cli, trial_url: str, tmp_path: Path
) -> None:  # noqa: ANN001
    study = tmp_path / "study.xml"
    assert cli("export", "odm", "--db", trial_url, "--metadata-only", "--out", study).code == 0
    result = cli("import", "odm", study, "--out", tmp_path / "forms.yaml")
    assert result.code == 0, result.err
    assert "10 forms" in result.out and "visits to" in result.out
    forms = parse_forms((tmp_path / "forms.yaml").read_text("utf-8"))
    assert forms["blood_gas"].label == catalogue()["blood_gas"].label


def test_the_command_exits_1_naming_each_construct_it_left_out(cli, tmp_path: Path) -> None:  # noqa: ANN001
    result = cli("import", "odm", FOREIGN, "--out", tmp_path / "forms.yaml")
    assert result.code == 1
    assert "not mapped: ItemDef I.PHOTO" in result.out
    assert (tmp_path / "forms.yaml").is_file()
