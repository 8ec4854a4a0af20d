"""The simulator's patient model as a test bed: a simulated effect is found, no effect is not.

The patients are drawn with the simulator's own model (``simulation.patients``: the same draws
``msctrial clinical simulate`` uses), without the database, so many trials fit in a second:
death by day 28 and discharge alive (an improvement in Cao's definition, censored at day 28)
per patient, analysed with the package's binary and survival comparisons.
"""

from __future__ import annotations

import pytest

from msctrial.analysis.binary import compare_binary
from msctrial.analysis.survival import compare_survival
from msctrial.simulation.power import PowerEndpoint, simulate_power, simulated_outcomes

ALPHA = 0.05


def test_the_full_effect_is_found_in_mortality_and_improvement():
    trial = simulated_outcomes(400, effect=1.0, seed=2020)
    died = compare_binary(trial, outcome="died", arm="arm", strata="severity", reference="Placebo")
    assert died.risk_difference < 0 and died.cmh_p < ALPHA
    improved = compare_survival(trial, time="day", event="improved", arm="arm",
                                reference="Placebo")  # fmt: skip
    assert improved.hazard_ratio > 1 and improved.logrank_p < ALPHA


@pytest.mark.parametrize("endpoint", ["mortality", "improvement"])
def test_without_an_effect_the_type_one_error_stays_near_alpha(endpoint):
    """30 seeded null trials of 120 patients: the number of rejections at 5% is binomial(30,
    0.05) if the tests hold their size; 6 or more would happen with probability 0.016."""
    rejections = 0
    for seed in range(30):
        trial = simulated_outcomes(120, effect=0.0, seed=seed)
        if endpoint == "mortality":
            p = compare_binary(trial, outcome="died", arm="arm").fisher_p
        else:
            p = compare_survival(trial, time="day", event="improved", arm="arm").logrank_p
        rejections += p < ALPHA
    assert rejections <= 5


def test_simulated_power_is_a_share_of_rejections_with_its_monte_carlo_error():
    null = simulate_power(120, 0.0, reps=30, seed=3, endpoint=PowerEndpoint.improvement)
    assert null.power <= 0.2 and null.mcse == pytest.approx(
        (null.power * (1 - null.power) / 30) ** 0.5
    )
    again = simulate_power(120, 0.0, reps=30, seed=3, endpoint=PowerEndpoint.improvement)
    assert again == null  # the same seed, the same estimate


def test_the_simulate_power_command_prints_json_and_writes_the_curve(cli, tmp_path):
    import json

    svg = tmp_path / "curve.svg"
    result = cli("design", "simulate-power", "--subjects", "100", "--effect", "1", "--reps", "10",
                 "--seed", "2", "--endpoint", "improvement", "--curve", "60,100", "--out", svg,
                 "--json")  # fmt: skip
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert {"power", "mcse", "reps", "subjects"} <= set(data)
    assert [p["subjects"] for p in data["curve"]] == [60, 100]
    assert svg.read_text().startswith("<svg")
