"""Untrusted input becomes one error naming the field, never a crash or a silent loss."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from msctrial.core.errors import InvalidInput
from msctrial.core.validation import explain, field_path, parse_yaml, read_text


class Dose(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: float
    unit: str


class Arm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    dose: Dose


class Plan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    arms: list[Arm]


def test_a_key_given_twice_is_refused_naming_it_and_its_first_line():
    with pytest.raises(InvalidInput) as err:
        parse_yaml("title: a\nphase: 2\ntitle: b\n", "protocol")
    assert "the key 'title' is given twice (first at line 1)" in err.value.message
    assert err.value.field == "line 3"


def test_yaml_nested_twenty_thousand_levels_is_refused_without_a_recursion_error():
    text = "a: " + "[" * 20_000 + "]" * 20_000
    with pytest.raises(InvalidInput) as err:
        parse_yaml(text, "protocol")
    assert "nested more than 64 levels deep" in err.value.message


def test_ordinary_nesting_is_read():
    assert parse_yaml("a:\n  b:\n    c: [1, {d: 2}]\n") == {"a": {"b": {"c": [1, {"d": 2}]}}}


def test_an_endless_file_is_read_with_a_cap_and_refused():
    with pytest.raises(InvalidInput) as err:
        read_text("/dev/zero", "file")
    assert err.value.field == "file"
    assert "larger than 1000 kB" in err.value.message


def test_a_binary_file_is_refused_as_not_text(tmp_path: Path):
    path = tmp_path / "x.yaml"
    path.write_bytes(b"title: \x00\x01")
    with pytest.raises(InvalidInput, match="not a UTF-8 text file"):
        read_text(path)


@pytest.mark.parametrize(
    ("loc", "path"),
    [
        (("arms", 0, "dose", "unit"), "arms[0].dose.unit"),
        (("body", "arms", 2, "name"), "arms[2].name"),
        (("tests", 0, "function-after[check()]", "unit"), "tests[0].unit"),
        ((), ""),
    ],
)
def test_every_door_names_a_field_in_one_path_style(loc, path):
    assert field_path(loc) == path


def test_an_unknown_key_lists_the_keys_allowed_at_its_place():
    with pytest.raises(ValidationError) as exc:
        Plan.model_validate(
            {"arms": [{"name": "MSC", "dose": {"value": 1, "unit": "x", "per": 1}}]}
        )
    err = explain(exc.value, Plan)
    assert err.field == "arms[0].dose.per"
    assert err.message == "arms[0].dose.per: unknown key; allowed here: value, unit"
    assert err.details["problems"] == [
        {"field": "arms[0].dose.per", "message": err.message.split(": ", 1)[1]}
    ]


def test_every_bad_field_is_named_not_only_the_first():
    with pytest.raises(ValidationError) as exc:
        Plan.model_validate({"arms": [{"dose": {"value": "many"}}]})
    err = explain(exc.value, Plan, prefix="protocol")
    fields = [p["field"] for p in err.details["problems"]]
    assert fields == [
        "protocol.arms[0].name",
        "protocol.arms[0].dose.value",
        "protocol.arms[0].dose.unit",
    ]
    assert "protocol.arms[0].name: required; this field must be given" in err.message


def test_json_nested_a_hundred_thousand_levels_is_one_error():
    from msctrial.core.validation import parse_json

    with pytest.raises(InvalidInput) as err:
        parse_json("[" * 100_000 + "]" * 100_000, "input")
    assert err.value.field == "input" and "not valid JSON" in err.value.message


def test_a_ten_thousand_digit_number_is_one_error():
    from msctrial.core.validation import parse_json

    with pytest.raises(InvalidInput) as err:
        parse_json('{"respiratory_rate": ' + "9" * 10_001 + "}", "input")
    assert "not valid JSON" in err.value.message
