"""``msctrial protocol check|load|show``: findings, exit codes 0/1/2, JSON for machines."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.cli.conftest import EXAMPLES, assert_one_plain_error, run_program
from tests.protocol.conftest import reference_data

D, A = "deviation", "advice"

# The nine trials of the seed's Table 1 (DOMAIN.md §6) as the example files encode them.
TABLE_1 = {
    "NCT04288102": {("dose_per_kg_low", D), ("safety_endpoints", A), ("follow_up", A)},
    "NCT04336254": {
        ("dose_per_kg_low", D),
        ("placebo_composition", A),
        ("primary_endpoint", A),
        ("safety_endpoints", A),
        ("follow_up", A),
    },
    "NCT04252118": {
        ("indication", D),
        ("dose_per_kg_low", D),
        ("not_randomised", A),
        ("not_double_blind", A),
        ("placebo_composition", A),
        ("safety_endpoints", A),
    },
    "NCT04302519": {
        ("interval_short", D),
        ("not_randomised", A),
        ("not_double_blind", A),
        ("safety_endpoints", A),
    },
    "NCT04339660": {("placebo_composition", A), ("safety_endpoints", A), ("follow_up", A)},
    "NCT04273646": {
        ("too_many_infusions", D),
        ("dose_per_kg_low", D),
        ("interval_short", D),
        ("not_double_blind", A),
        ("safety_endpoints", A),
    },
    "NCT04269525": {
        ("too_many_infusions", D),
        ("interval_short", D),
        ("dose_per_kg_low", A),  # 9.9 x 10^7 cells: below 1 x 10^6/kg only over 99 kg
        ("not_randomised", A),
        ("not_double_blind", A),
        ("safety_endpoints", A),
        ("follow_up", A),
    },
    "NCT04371601": {
        ("too_many_infusions", D),
        ("dose_per_kg_high", D),
        ("not_double_blind", A),
        ("placebo_composition", A),
        ("safety_endpoints", A),
    },
    "NCT04293692": {
        ("too_many_infusions", D),
        ("dose_per_kg_low", D),
        ("interval_short", D),
        ("safety_endpoints", A),
        ("follow_up", A),
    },
}


def test_the_reference_design_has_no_findings_and_exits_0(cli):
    result = cli("protocol", "check", EXAMPLES / "guidance-reference.yaml")
    assert result.code == 0
    assert "no findings; the design meets every rule of the expert guidance" in result.out


def test_nct04273646_has_exactly_the_three_deviations_and_exits_1(cli):
    result = cli("protocol", "check", EXAMPLES / "NCT04273646.yaml", "--json")
    assert result.code == 1
    findings = json.loads(result.out)["findings"]
    assert sorted(f["rule"] for f in findings if f["level"] == "deviation") == [
        "dose_per_kg_low",
        "interval_short",
        "too_many_infusions",
    ]


def test_the_text_report_counts_and_lists_the_deviations(cli):
    result = cli("protocol", "check", EXAMPLES / "NCT04273646.yaml")
    assert "3 deviation(s), 2 advice" in result.out
    assert "0.5×10^6 cells/kg is below the guidance's 1×10^6 cells/kg" in result.out
    assert "gives up to 4 administrations" in result.out
    assert "2 days between administrations (days 1, 3, 5, 7)" in result.out
    assert "field: arms[0].dosing.schedule" in result.out


def test_json_prints_findings_with_rule_level_message_field_and_source(cli):
    result = cli("protocol", "check", EXAMPLES / "NCT04273646.yaml", "--json")
    data = json.loads(result.out)
    assert list(data) == ["findings"] and data["findings"]
    for f in data["findings"]:
        assert list(f) == ["rule", "level", "message", "field", "source"]
        assert f["level"] in ("deviation", "advice") and f["source"].startswith("seed §3")
    assert json.loads(
        cli("protocol", "check", EXAMPLES / "guidance-reference.yaml", "--json").out
    ) == {"findings": []}


@pytest.mark.parametrize("trial", sorted(TABLE_1))
def test_each_trial_of_the_seeds_table_1_gets_its_findings(cli, trial):
    result = cli("protocol", "check", EXAMPLES / f"{trial}.yaml", "--json")
    found = {(f["rule"], f["level"]) for f in json.loads(result.out)["findings"]}
    assert found == TABLE_1[trial]
    assert result.code == (1 if any(level == D for _, level in found) else 0)


def test_every_example_file_is_in_the_table():
    names = {p.stem for p in EXAMPLES.glob("*.yaml")} - {"guidance-reference"}
    assert names == set(TABLE_1)


def test_every_example_notes_its_source():
    for path in EXAMPLES.glob("NCT*.yaml"):
        text = path.read_text()
        assert text.startswith("# Source: the seed's Table 1"), path.name
        assert f"ClinicalTrials.gov {path.stem}" in text


def write(tmp_path, change) -> str:  # noqa: ANN001
    data = reference_data()
    change(data)
    path = tmp_path / "protocol.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return str(path)


def arm(data: dict) -> dict:
    return data["arms"][0]


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        (lambda d: arm(d).update(dosage=1), ["arms[0].dosage: unknown key; allowed here: name"]),
        (
            lambda d: arm(d)["dosing"].update(dose={"value": 2e6}),
            ["arms[0].dosing.dose", "needs its unit", "cells/kg"],
        ),
        (
            lambda d: arm(d)["dosing"]["schedule"].update(days=[-1, 3, 6]),
            ["arms[0].dosing.schedule.days[0]", "greater than or equal to 0"],
        ),
        (lambda d: d.update(follow_up_days="long"), ["follow_up_days", "valid integer"]),
        (lambda d: d["design"].update(masking="blind"), ["design.masking", "'double'"]),
    ],
    ids=["unknown-key", "dose-without-unit", "negative-day", "wrong-type", "unknown-choice"],
)
def test_an_invalid_protocol_is_one_plain_error_naming_the_field_and_exits_2(
    cli, tmp_path, change, fragments
):
    assert_one_plain_error(cli("protocol", "check", write(tmp_path, change)), *fragments)


def test_malformed_yaml_names_the_line_and_column(cli, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("title: x\nversion: '1'\narms:\n  - name: [unclosed\n")
    assert_one_plain_error(
        cli("protocol", "check", path), "broken.yaml: malformed YAML at line 5, column 1"
    )


def test_a_missing_file_is_named(cli, tmp_path):
    assert_one_plain_error(cli("protocol", "check", tmp_path / "none.yaml"), "does not exist")


def test_the_real_program_prints_no_traceback_for_bad_input(tmp_path):
    path = write(tmp_path, lambda d: arm(d).update(dosage=1))
    assert_one_plain_error(run_program("protocol", "check", path), "arms[0].dosage: unknown key")
    ok = run_program("protocol", "check", EXAMPLES / "NCT04273646.yaml")
    assert ok.code == 1 and ok.err == ""


def test_another_ruleset_changes_the_verdict(cli, tmp_path):
    from importlib import resources

    data = yaml.safe_load(
        resources.files("msctrial.protocol")
        .joinpath("rulesets", "cn-expert-guidance-2020.yaml")
        .read_text()
    )
    data["infusions"]["max"] = 4
    data["dose_per_kg"]["min"] = 0.5e6
    data["interval"]["min_days"] = 2
    path = tmp_path / "looser.yaml"
    path.write_text(yaml.safe_dump(data))
    result = cli("protocol", "check", EXAMPLES / "NCT04273646.yaml", "--ruleset", path)
    assert result.code == 0 and "0 deviation(s), 2 advice" in result.out
    path.write_text("levels: {made_up_rule: advice}\n")
    assert_one_plain_error(
        cli("protocol", "check", EXAMPLES / "NCT04273646.yaml", "--ruleset", path), "ruleset."
    )


def test_the_ruleset_can_come_from_the_environment(cli, tmp_path, monkeypatch):
    path = tmp_path / "broken-ruleset.yaml"
    path.write_text("id: [\n")
    monkeypatch.setenv("MSCTRIAL_RULESET", str(path))
    assert_one_plain_error(
        cli("protocol", "check", EXAMPLES / "guidance-reference.yaml"), "malformed YAML"
    )


# --- load and show: versions in the database (SQLite and PostgreSQL) ------------------------


def test_load_saves_versions_and_an_amendment_needs_a_reason(cli, db_url, tmp_path):
    first = write(tmp_path, lambda d: None)
    result = cli("protocol", "load", first, "--trial", "MSC-1", "--db", db_url)
    assert result.code == 0 and "saved as protocol version 1" in result.out
    again = cli("protocol", "load", first, "--trial", "MSC-1", "--db", db_url)
    assert "unchanged, still protocol version 1" in again.out

    second = write(tmp_path, lambda d: d.update(version="1.1", follow_up_days=365))
    refused = cli("protocol", "load", second, "--trial", "MSC-1", "--db", db_url)
    assert_one_plain_error(refused, "a reason is required to amend the protocol of MSC-1")
    shown = json.loads(cli("protocol", "show", "MSC-1", "--db", db_url, "--json").out)
    assert shown["version"] == 1  # nothing was written

    ok = cli(
        "protocol",
        "load",
        second,
        "--trial",
        "MSC-1",
        "--reason",
        "longer safety follow-up",
        "--db",
        db_url,
    )
    assert ok.code == 0 and "saved as protocol version 2" in ok.out
    shown = json.loads(cli("protocol", "show", "MSC-1", "--db", db_url, "--json").out)
    assert shown["version"] == 2 and shown["protocol"]["follow_up_days"] == 365
    old = json.loads(
        cli("protocol", "show", "MSC-1", "--version", "1", "--db", db_url, "--json").out
    )
    assert old["protocol"]["follow_up_days"] == 180


def test_show_of_an_unknown_trial_is_a_plain_error(cli, db_url):
    cli("db", "upgrade", "--db", db_url)
    assert_one_plain_error(
        cli("protocol", "show", "NOPE", "--db", db_url), "no trial with code 'NOPE'"
    )
