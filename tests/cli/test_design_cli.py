"""``msctrial design power|boundaries``: the JSON contract, exit 2 naming the option."""

from __future__ import annotations

import json

from tests.cli.conftest import assert_one_plain_error


def test_power_command_prints_the_contract(cli):
    result = cli("design", "power", "--endpoint", "proportions", "--p1", "0.25", "--p2", "0.15",
                 "--json")  # fmt: skip
    assert result.code == 0, result.err
    assert json.loads(result.out) == {"n_per_arm": 248, "n_total": 496, "n_other_arm": 248}
    survival = cli("design", "power", "--endpoint", "survival", "--hazard-ratio", "1.5",
                   "--event-probability", "0.75", "--json")  # fmt: skip
    assert json.loads(survival.out) == {"events": 191, "n_total": 255}
    given = cli("design", "power", "--endpoint", "means", "--delta", "5", "--sd", "10",
                "--n-per-arm", "63", "--json")  # fmt: skip
    assert round(json.loads(given.out)["power"], 2) == 0.80


def test_power_command_names_a_missing_option(cli):
    result = cli("design", "power", "--endpoint", "means", "--delta", "5")
    assert_one_plain_error(result, "--sd: the means endpoint needs --sd")


def test_boundaries_command_prints_the_contract(cli):
    result = cli("design", "boundaries", "--looks", "0.5,1.0", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert (data["alpha"], data["spending"]) == (0.025, "obrien-fleming")
    assert [sorted(look) for look in data["looks"]] == [
        ["cumulative_alpha", "information", "nominal_p", "z"]
    ] * 2
    assert round(data["looks"][0]["z"], 3) == 2.963


def test_boundaries_command_refuses_looks_that_are_not_numbers(cli):
    assert_one_plain_error(cli("design", "boundaries", "--looks", "half,1"), "looks:")
