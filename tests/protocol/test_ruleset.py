"""The guidance is data: another ruleset file changes the numbers and levels; bad files are
refused with the field and what is allowed."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from msctrial.core.errors import InvalidInput
from msctrial.protocol.guidance import check_guidance
from msctrial.protocol.ruleset import (
    DEFAULT_RULESET,
    RULE_IDS,
    default_guidance,
    load_guidance,
    load_guidance_text,
)
from tests.protocol.conftest import cells_arm, edited

DEFAULT_TEXT = (
    resources.files("msctrial.protocol").joinpath("rulesets", DEFAULT_RULESET).read_text()
)


def ruleset(change) -> str:  # noqa: ANN001
    data = yaml.safe_load(DEFAULT_TEXT)
    change(data)
    return yaml.safe_dump(data, allow_unicode=True)


def four_infusions_two_days_apart_at_half_a_million(data: dict) -> None:
    arm = cells_arm(data)
    arm["dosing"]["dose"] = "0.5e6 cells/kg"
    arm["dosing"]["schedule"] = {"days": [1, 3, 5, 7]}


def test_the_default_ruleset_is_the_seeds_guidance():
    g = default_guidance()
    assert g.id == "cn-expert-guidance-2020"
    assert (g.infusions.max, g.dose_per_kg.min, g.dose_per_kg.max, g.interval.min_days) == (
        3,
        1.0e6,
        5.0e6,
        3,
    )
    assert set(g.levels) == set(RULE_IDS)
    assert load_guidance(None) is g


def test_another_rulesets_numbers_and_levels_change_the_findings(tmp_path):
    protocol = edited(four_infusions_two_days_apart_at_half_a_million)
    assert {f.rule for f in check_guidance(protocol) if f.level == "deviation"} == {
        "too_many_infusions",
        "dose_per_kg_low",
        "interval_short",
    }

    def looser(data: dict) -> None:
        data["id"] = "looser-guideline"
        data["infusions"]["max"] = 4
        data["dose_per_kg"]["min"] = 0.5e6
        data["levels"]["interval_short"] = "advice"

    path = tmp_path / "looser.yaml"
    path.write_text(ruleset(looser))
    findings = check_guidance(protocol, load_guidance(path))
    assert {(f.rule, f.level) for f in findings} == {("interval_short", "advice")}


def test_a_rule_left_out_of_the_levels_is_advice():
    def drop(data: dict) -> None:
        del data["levels"]["too_many_infusions"]

    g = load_guidance_text(ruleset(drop))
    protocol = edited(lambda d: cells_arm(d)["dosing"].update(schedule={"days": [0, 3, 6, 9]}))
    assert [(f.rule, f.level) for f in check_guidance(protocol, g)] == [
        ("too_many_infusions", "advice")
    ]


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        (
            lambda d: d.update(extra_rule={"max": 1}),
            "ruleset.extra_rule",
            "allowed here: id, version",
        ),
        (
            lambda d: d["infusions"].update(maximum=3),
            "ruleset.infusions.maximum",
            "allowed here: max, source",
        ),
        (lambda d: d["infusions"].update(max="three"), "ruleset.infusions.max", "valid integer"),
        (lambda d: d["dose_per_kg"].update(min=-1), "ruleset.dose_per_kg.min", "greater than 0"),
        (
            lambda d: d["dose_per_kg"].update(min=6e6),
            "ruleset.dose_per_kg",
            "min must not exceed max",
        ),
        (lambda d: d["dose_per_kg"].update(unit="cells"), "ruleset.dose_per_kg.unit", "'cells/kg'"),
        (
            lambda d: d["levels"].update(follow_up="warning"),
            "ruleset.levels.follow_up",
            "'deviation' or 'advice'",
        ),
        (
            lambda d: d["levels"].update(too_many_doses="deviation"),
            "ruleset.levels",
            "known: indication",
        ),
        (
            lambda d: d["indication"].update(allowed_severity=["grave"]),
            "ruleset.indication.allowed_severity[0]",
            "'severe'",
        ),
        (lambda d: d.pop("interval"), "ruleset.interval", "required"),
    ],
    ids=[
        "unknown-section",
        "unknown-key",
        "wrong-type",
        "negative",
        "min-above-max",
        "wrong-unit",
        "unknown-level",
        "unknown-rule-id",
        "unknown-severity",
        "missing-section",
    ],
)
def test_a_malformed_ruleset_is_refused_naming_the_field_and_what_is_allowed(change, field, says):
    with pytest.raises(InvalidInput) as err:
        load_guidance_text(ruleset(change))
    assert err.value.field == field
    assert says in err.value.message


def test_a_ruleset_with_broken_yaml_names_the_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("id: x\ninfusions:\n  max: [3\n")
    with pytest.raises(InvalidInput, match=r"broken.yaml: malformed YAML at line 4"):
        load_guidance(path)


@pytest.mark.parametrize("content", ["- a list\n- not a mapping\n", "just text\n"])
def test_a_ruleset_that_is_not_a_mapping_is_refused(content):
    with pytest.raises(InvalidInput, match="expected a mapping of rules"):
        load_guidance_text(content)


def test_a_missing_ruleset_file_is_named(tmp_path):
    with pytest.raises(InvalidInput, match="does not exist") as err:
        load_guidance(tmp_path / "nowhere.yaml")
    assert err.value.field == "ruleset"
