"""The protocol YAML loader: every mistake a person makes names the field and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from msctrial.core.errors import InvalidInput
from msctrial.protocol.loader import dump_protocol, load_protocol, load_protocol_text
from msctrial.protocol.model import DoseUnit, Phase
from tests.protocol.conftest import reference_data

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "protocols"


def text_with(change) -> str:  # noqa: ANN001
    data = reference_data()
    change(data)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def refused(text: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as err:
        load_protocol_text(text)
    return err.value


def dosing(data: dict) -> dict:
    return data["arms"][0]["dosing"]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("title: x\nversion: '1'\narms: [\n", "line 4, column 1"),
        ("title: x\n  version: '1'\n", "line 2, column 10"),
        ("title: 'unclosed\nversion: 1\n", "line 3, column 1"),
        ("arms:\n\t- name: tab\n", "line 2, column 1"),
    ],
    ids=["unclosed-list", "bad-indent", "unclosed-quote", "tab"],
)
def test_malformed_yaml_names_the_line_and_column(text, where):
    err = refused(text)
    assert f"malformed YAML at {where}" in err.message
    assert err.field == f"line {where.split(',')[0].split()[1]}"


@pytest.mark.parametrize(
    ("change", "field", "allowed"),
    [
        (lambda d: d.update(titel="typo"), "titel", "title, version, registry_ids"),
        (
            lambda d: d["arms"][0].update(dosage="1e6 cells/kg"),
            "arms[0].dosage",
            "name, type, product",
        ),
        (
            lambda d: dosing(d).update(frequency=2),
            "arms[0].dosing.frequency",
            "dose, dose_levels, route",
        ),
        (
            lambda d: dosing(d)["schedule"].update(interval=3),
            "arms[0].dosing.schedule.interval",
            "days, every_days, times",
        ),
        (
            lambda d: d["design"].update(blinding="double"),
            "design.blinding",
            "allocation, masking, control",
        ),
        (
            lambda d: d["visits"][0].update(date="2020-02-01"),
            "visits[0].date",
            "name, day, window_days, forms",
        ),
    ],
    ids=["top", "arm", "dosing", "schedule", "design", "visit"],
)
def test_an_unknown_key_is_refused_listing_the_keys_allowed_there(change, field, allowed):
    err = refused(text_with(change))
    assert err.field == field
    assert f"{field}: unknown key; allowed here: {allowed}" in err.message


@pytest.mark.parametrize(
    "dose",
    [{"value": 1.0e6}, {"value": 1.0e6, "unit": ""}, 1000000.0, "1e6", "2.5 x 10^6"],
    ids=["mapping-without-unit", "empty-unit", "bare-number", "bare-text", "bare-power"],
)
def test_a_dose_without_a_unit_is_refused_listing_the_units(dose):
    err = refused(text_with(lambda d: dosing(d).update(dose=dose)))
    assert err.field == "arms[0].dosing.dose"
    assert "needs its unit" in err.message or "has no unit" in err.message
    assert (
        "cells/kg, cells, particles, particles/kg, mL" in err.message
        or "x 10^6 cells/kg" in err.message
    )


def test_a_dose_in_an_unknown_unit_lists_the_allowed_units():
    err = refused(text_with(lambda d: dosing(d).update(dose={"value": 1e6, "unit": "cells/lb"})))
    assert err.field == "arms[0].dosing.dose.unit"
    assert "'cells/kg', 'cells', 'particles', 'particles/kg' or 'mL'" in err.message


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("1e6 cells/kg", 1.0e6, DoseUnit.cells_per_kg),
        ("1.0 x 10^6 cells/kg", 1.0e6, DoseUnit.cells_per_kg),
        ("0.5×10^6 cells/kg", 0.5e6, DoseUnit.cells_per_kg),
        ("4e7 cells", 4.0e7, DoseUnit.cells),
        ("2e9 particles", 2.0e9, DoseUnit.particles),
        ("100 ml", 100.0, DoseUnit.ml),
    ],
)
def test_a_dose_may_be_written_as_text_with_its_unit(text, value, unit):
    protocol = load_protocol_text(text_with(lambda d: dosing(d).update(dose=text)))
    dose = protocol.arms[0].dosing.dose
    assert dose.value == pytest.approx(value) and dose.unit is unit


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            lambda d: dosing(d)["schedule"].update(days=[-1, 2, 5]),
            "arms[0].dosing.schedule.days[0]",
        ),
        (
            lambda d: dosing(d)["schedule"].update(days=[0, 3], optional_days=[-3]),
            "arms[0].dosing.schedule.optional_days[0]",
        ),
        (
            lambda d: dosing(d)["schedule"].update(days=None, every_days=3, times=3, start_day=-2),
            "arms[0].dosing.schedule.start_day",
        ),
    ],
    ids=["days", "optional-days", "start-day"],
)
def test_a_negative_administration_day_is_refused(change, field):
    err = refused(text_with(change))
    assert err.field == field
    assert "greater than or equal to 0" in err.message


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        (lambda d: d.update(version=1.0), "version", "put the value in quotes"),
        (lambda d: d.update(follow_up_days="six months"), "follow_up_days", "valid integer"),
        (lambda d: d.update(arms="UC-MSC"), "arms", "valid list"),
        (
            lambda d: d["arms"][0].update(type="experiment"),
            "arms[0].type",
            "'experimental', 'placebo'",
        ),
        (
            lambda d: d["arms"][0].update(product="stem cells"),
            "arms[0].product",
            "'cells', 'extracellular_vesicles'",
        ),
        (
            lambda d: d["design"].update(masking="blind"),
            "design.masking",
            "'none', 'single', 'double'",
        ),
        (
            lambda d: d["eligibility"].update(severity=["serious"]),
            "eligibility.severity[0]",
            "'severe'",
        ),
        (
            lambda d: d["eligibility"]["age"].update(min=70, max=18),
            "eligibility.age",
            "min must not exceed max",
        ),
        (lambda d: d.update(phase="7"), "phase", "is not a phase"),
        (lambda d: d.update(registry_ids=["NCT 0428"]), "registry_ids", "is not a registry id"),
        (
            lambda d: dosing(d)["schedule"].update(days=[6, 3, 0]),
            "arms[0].dosing.schedule",
            "in order",
        ),
        (
            lambda d: dosing(d)["schedule"].update(every_days=3),
            "arms[0].dosing.schedule",
            "either days or every_days",
        ),
        (
            lambda d: d["arms"][1].update(name="UC-MSC"),
            "(top level)",
            "each arm needs its own name",
        ),
        (lambda d: d.update(arms=[]), "arms", "at least 1 item"),
        (lambda d: d.pop("title"), "title", "required"),
        (
            lambda d: dosing(d).update(dose={"value": -1, "unit": "cells/kg"}),
            "arms[0].dosing.dose.value",
            "greater than 0",
        ),
    ],
    ids=[
        "number-for-text",
        "text-for-number",
        "text-for-list",
        "arm-type",
        "product",
        "masking",
        "severity",
        "age-order",
        "phase",
        "registry-id",
        "days-order",
        "two-schedule-forms",
        "duplicate-arm",
        "no-arms",
        "missing-title",
        "negative-dose",
    ],
)
def test_wrong_values_and_types_name_the_field_and_what_is_allowed(change, field, says):
    err = refused(text_with(change))
    assert says in err.message
    if field == "(top level)":
        assert err.message.startswith("(the whole input):")
    else:
        assert err.field == field


def test_every_problem_of_a_file_is_reported_at_once():
    def two(data: dict) -> None:
        data["design"]["masking"] = "blind"
        dosing(data)["schedule"]["days"] = [-1, 3]

    err = refused(text_with(two))
    assert [p["field"] for p in err.details["problems"]] == [
        "design.masking",
        "arms[0].dosing.schedule.days[0]",
    ]


@pytest.mark.parametrize("text", ["", "just a title\n", "- a\n- list\n"])
def test_a_file_that_is_not_a_mapping_of_fields_is_refused(text):
    assert "expected a mapping of protocol fields" in refused(text).message


def test_a_missing_file_a_directory_and_a_binary_file_are_named(tmp_path):
    for path in (tmp_path / "nowhere.yaml", tmp_path):
        with pytest.raises(InvalidInput) as err:
            load_protocol(path)
        assert err.value.field == "file" and str(path) in err.value.message
    binary = tmp_path / "protocol.pdf"
    binary.write_bytes(b"%PDF-1.4 \xff\xfe\x00")
    with pytest.raises(InvalidInput, match="not a UTF-8 text file"):
        load_protocol(binary)


def test_a_huge_file_is_refused_before_parsing():
    with pytest.raises(InvalidInput, match="larger than 1000 kB"):
        load_protocol_text("title: x\n" + "#" * 1_000_001)


def test_phases_are_read_as_people_write_them():
    protocol = load_protocol_text(text_with(lambda d: d.update(phase="1/2")))
    assert protocol.phase == [Phase.PHASE1, Phase.PHASE2]


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_every_example_survives_a_dump_and_reload_unchanged(path):
    protocol = load_protocol(path)
    assert load_protocol_text(dump_protocol(protocol)) == protocol
