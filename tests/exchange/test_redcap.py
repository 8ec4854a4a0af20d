"""REDCap: a dictionary of every field type read into forms, our forms written as a dictionary
and read back unchanged, and a project's import files, blinded and site-scoped."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from msctrial.clinical.subjects.tables import Subject
from msctrial.clinical.visits.forms import get_form, parse_forms
from msctrial.core.tables import Site
from msctrial.exchange import export_redcap, read_dictionary
from msctrial.exchange.redcap import FIELD_TYPES, parse_choices, unique_event_name
from msctrial.exchange.redcap_export import dictionary_rows
from msctrial.exchange.source import study_meta
from tests.exchange.conftest import actor, secrets_of_the_allocation, site_id

EVERY_TYPE = Path(__file__).parent / "data" / "redcap_every_field_type.csv"


@pytest.fixture(scope="module")
def imported():  # noqa: ANN201
    return read_dictionary(EVERY_TYPE.read_text(encoding="utf-8"))


def _items(result) -> dict[str, dict]:  # noqa: ANN001
    return {i["name"]: i for form in result.forms.values() for i in form["items"]}


def test_the_test_dictionary_holds_every_field_type_redcap_documents() -> None:
    types = {row["Field Type"] for row in csv.DictReader(EVERY_TYPE.open(encoding="utf-8"))}
    assert set(FIELD_TYPES) <= types


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("age", {"unit": "years", "soft": [18.0, 110.0], "required": True}),
        ("weight", {"unit": "kg", "soft": [30.0, 250.0]}),  # "Unit: kg", number_1dp
        ("height", {"unit": "cm"}),  # "(cm)", number_comma_decimal
        ("enrol_date", {"kind": "date", "required": True}),
        ("dob", {"kind": "date"}),
        ("admitted_at", {"kind": "text"}),
        ("comments", {"kind": "text", "help": "Anything else the site noticed"}),
        ("sex", {"kind": "choice", "choices": ["1", "2"], "help": "codes: 1 = Male; 2 = Female"}),
        ("severity", {"kind": "choice", "choices": ["mild", "moderate", "severe"]}),
        ("smoker", {"kind": "boolean"}),
        ("pregnant", {"kind": "boolean", "help": "asked when sex is 2 (Female) and age ≥ 18"}),
        ("packs", {"soft": [0.0, 10.0], "help": "packs; asked when smoker is yes"}),
        ("symptoms___2", {"kind": "boolean", "label": "Symptoms at admission: Cough"}),
        ("cough_days", {"unit": "days", "help": "asked when symptoms 2 is ticked"}),
        ("bmi", {"derived": True}),
        ("pain", {"hard": [0.0, 100.0]}),
        ("pain_10", {"hard": [0.0, 10.0]}),
        ("mood_b", {"kind": "choice", "choices": ["1", "2", "3"]}),
    ],
)
def test_each_redcap_field_maps_to_the_item_it_means(imported, field, expected) -> None:  # noqa: ANN001
    item = _items(imported)[field]
    assert {k: item.get(k) for k in expected} == expected
    assert "kind" in item or "kind" not in expected  # a number item leaves kind at its default


def test_every_row_that_does_not_map_is_named_with_its_line_and_why(imported) -> None:  # noqa: ANN001
    dropped = {(u.row, u.field) for u in imported.unmapped if not u.kept}
    assert dropped == {
        (25, "consent_form"), (26, "signature"), (29, "intro"), (30, "site_list"),
        (37, "Bad Name"), (38, "crp"), (39, "mystery"),
    }  # fmt: skip
    partial = {u.field: u.reason for u in imported.unmapped if u.kept}
    assert "not run by msctrial" in partial["bmi"]
    assert "parentheses or a function" in partial["adult"]
    assert "another event" in partial["crp_again"]
    assert "'datetime_ymd' is not checked" in partial["admitted_at"]
    assert "date range" in partial["enrol_date"]
    assert "@HIDDEN" in partial["hidden_note"]
    assert "identifier" in partial["initials"]
    assert not {"consent_form", "intro", "site_list", "Bad Name", "mystery"} & set(_items(imported))
    assert imported.record_id == "record_id"


def test_the_imported_forms_load_as_the_platform_loads_forms_yaml(imported) -> None:  # noqa: ANN001
    forms = parse_forms(imported.to_yaml())
    assert list(forms) == ["enrolment", "labs"]
    assert forms["enrolment"].label == "Enrolment" and forms["labs"].label == "Laboratory"
    assert forms["labs"].item("crp").soft.high == 400.0
    assert [i.name for i in forms["labs"].required_items] == ["crp"]


def test_our_forms_written_as_a_dictionary_and_read_back_are_the_same_forms(session) -> None:  # noqa: ANN001
    forms = [get_form(f.name) for f in study_meta(session).forms]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(dictionary_rows(forms))
    result = read_dictionary(buffer.getvalue())
    assert result.unmapped == ()
    assert parse_forms(result.to_yaml()) == {f.name: f for f in forms}


def test_the_written_dictionary_is_plain_redcap_without_our_annotations(session) -> None:  # noqa: ANN001
    forms = [get_form(f.name) for f in study_meta(session).forms]
    rows = dictionary_rows(forms)
    buffer = io.StringIO()
    csv.writer(buffer).writerows([r[:-1] + [""] for r in rows])  # drop the Field Annotation
    result = read_dictionary(buffer.getvalue())
    items = _items(result)
    assert items["heart_rate"]["soft"] == [40.0, 180.0] and items["heart_rate"]["unit"] == "1/min"
    assert items["modality"]["choices"] == ["ct", "chest_xray", "bedside_chest_film"]
    assert items["fibrosis"]["kind"] == "boolean" and items["discharge_date"]["kind"] == "date"
    assert [u for u in result.unmapped if not u.kept] == []


def test_choices_and_event_names_follow_redcaps_syntax() -> None:
    assert parse_choices("1, Yes | 2, No, not at all | 3") == [
        ("1", "Yes"), ("2", "No, not at all"), ("3", "3")
    ]  # fmt: skip
    assert unique_event_name("Day 0") == "day_0_arm_1"
    assert unique_event_name("Screening") == "screening_arm_1"


def _project(session, reader, out: Path) -> dict[str, list[dict[str, str]]]:  # noqa: ANN001
    export_redcap(session, reader, out)
    return {
        p.name: list(csv.DictReader(p.open(encoding="utf-8"))) for p in sorted(out.glob("*.csv"))
    }


def test_the_records_are_one_row_per_record_and_event_with_the_dictionarys_fields(
    session,
    tmp_path,  # noqa: ANN001
) -> None:
    files = _project(session, actor("monitor"), tmp_path)
    assert set(files) == {"data_dictionary.csv", "events.csv", "event_instruments.csv", "records.csv"}  # fmt: skip
    fields = [r["Variable / Field Name"] for r in files["data_dictionary.csv"]]
    records = files["records.csv"]
    assert list(records[0]) == ["record_id", "redcap_event_name", *fields[1:]]
    keys = [(r["record_id"], r["redcap_event_name"]) for r in records]
    assert len(keys) == len(set(keys)) > 6
    events = {e["unique_event_name"] for e in files["events.csv"]}
    assert {e for _, e in keys} <= events
    assert {r["fibrosis"] for r in records} <= {"", "0", "1"}
    assert {m["form"] for m in files["event_instruments.csv"]} <= {
        r["Form Name"] for r in files["data_dictionary.csv"]
    }


def test_no_blinded_readers_redcap_project_holds_an_allocation_secret(
    any_session, tmp_path
) -> None:  # noqa: ANN001
    secrets = secrets_of_the_allocation(any_session)
    wuh = site_id(any_session, "WUH")
    for n, reader in enumerate((actor("monitor"), actor("investigator", site_id=wuh))):
        export_redcap(any_session, reader, tmp_path / str(n))
        for path in (tmp_path / str(n)).iterdir():
            body = path.read_text(encoding="utf-8").lower()
            assert [s for s in secrets if s.lower() in body] == [], (reader.grants, path.name)


def test_a_site_users_redcap_records_hold_only_their_sites_subjects(any_session, tmp_path) -> None:  # noqa: ANN001
    wuh = site_id(any_session, "WUH")
    mine = set(
        any_session.scalars(
            select(Subject.subject_code).join(Site, Site.id == Subject.site_id).where(Site.code == "WUH")
        )
    )  # fmt: skip
    result = export_redcap(any_session, actor("pharmacist", site_id=wuh), tmp_path)
    records = list(csv.DictReader((tmp_path / "records.csv").open(encoding="utf-8")))
    assert {r["record_id"] for r in records} <= mine and records
    assert result.subjects == len({r["record_id"] for r in records})


def test_the_commands_round_trip_a_project_dictionary(cli, trial_url, tmp_path) -> None:  # noqa: ANN001
    result = cli("export", "redcap", "--db", trial_url, "--out", tmp_path / "project")
    assert result.code == 0, result.err
    assert "REDCap:" in result.out and "(blinded)" in result.out
    dictionary = tmp_path / "project" / "data_dictionary.csv"
    back = cli("import", "redcap-dictionary", dictionary, "--out", tmp_path / "forms.yaml")
    assert back.code == 0, back.err
    forms = yaml.safe_load((tmp_path / "forms.yaml").read_text(encoding="utf-8"))
    assert "vital_signs" in forms


def test_the_import_command_exits_1_and_names_what_did_not_map(cli, tmp_path) -> None:  # noqa: ANN001
    result = cli("import", "redcap-dictionary", EVERY_TYPE, "--out", tmp_path / "forms.yaml")
    assert result.code == 1
    assert "not mapped: line 25, consent_form" in result.out
    assert (tmp_path / "forms.yaml").is_file()
    bad = tmp_path / "bad.csv"
    bad.write_text("name,type\nx,text\n", encoding="utf-8")
    refused = cli("import", "redcap-dictionary", bad)
    assert refused.code == 2 and "Variable / Field Name" in refused.err
