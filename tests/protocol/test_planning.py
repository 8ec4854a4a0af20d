"""Sample size, interim looks and estimands stated in a protocol, and the check that the stated
size reaches the stated power (the seed's "sample size and power")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from msctrial.core.errors import InvalidInput
from msctrial.protocol.guidance import check_guidance
from msctrial.protocol.guidance_planning import achieved_power, required_total
from msctrial.protocol.loader import load_protocol_text
from msctrial.protocol.planning import Estimand, InterimPlan, PowerAssumptions

REFERENCE = Path(__file__).parents[2] / "examples" / "protocols" / "guidance-reference.yaml"


def _with_sample_size(**sample_size: Any) -> str:
    data = yaml.safe_load(REFERENCE.read_text())
    data["sample_size"] = sample_size
    return yaml.safe_dump(data, sort_keys=False)


def _power_findings(text: str) -> list:
    return [f for f in check_guidance(load_protocol_text(text)) if f.rule == "sample_size_power"]


def test_the_worked_two_proportion_example_needs_248_per_arm():
    """CLINICAL_FACTS §8.2: 28-day mortality 25% → 15%, alpha 0.05 two-sided, 80% power,
    no continuity correction: 248 per arm, so 496 in all (and 552 with 10% dropout)."""
    a = PowerAssumptions(endpoint="proportions", p1=0.25, p2=0.15)
    assert required_total(a) == 496
    assert required_total(a.model_copy(update={"dropout": 0.1})) == 552


def test_schoenfeld_events_become_subjects_through_the_event_probability():
    """CLINICAL_FACTS §8.2: HR 1.5 needs 191 events; with 75% of subjects improving (Cao),
    191 / 0.75 = 254.7, so 255 subjects."""
    a = PowerAssumptions(endpoint="survival", hazard_ratio=1.5, event_probability=0.75)
    assert required_total(a) == 255


def test_a_target_below_the_stated_assumptions_is_advice_naming_both_sizes():
    text = _with_sample_size(
        target=100, assumptions={"endpoint": "proportions", "p1": 0.25, "p2": 0.15}
    )
    (finding,) = _power_findings(text)
    assert finding.level == "advice" and finding.field == "sample_size.target"
    # 50 per arm: z = 0.10 / sqrt(0.1875/50 + 0.1275/50) = 1.26; power Φ(1.26 − 1.96) = 24 %
    assert "needs 496 subjects; 100 give a power of 24%" in finding.message
    assert "sample size and power" in finding.source


def test_a_target_that_reaches_the_stated_power_gives_no_finding():
    text = _with_sample_size(
        target=500, assumptions={"endpoint": "proportions", "p1": 0.25, "p2": 0.15}
    )
    assert _power_findings(text) == []
    a = PowerAssumptions(endpoint="proportions", p1=0.25, p2=0.15)
    assert 0.80 <= achieved_power(a, 500) < 0.82


def test_the_reference_protocol_states_a_powered_design_and_an_estimand():
    protocol = load_protocol_text(REFERENCE.read_text())
    assert protocol.sample_size is not None and protocol.sample_size.assumptions is not None
    assert required_total(protocol.sample_size.assumptions) == 92 <= protocol.sample_size.target
    estimand = protocol.endpoints.primary[0].estimand
    assert estimand is not None
    assert [e.strategy for e in estimand.intercurrent_events] == ["composite", "treatment_policy"]


def test_a_protocol_without_assumptions_is_not_judged_on_power():
    assert _power_findings(_with_sample_size(target=10)) == []


@pytest.mark.parametrize(
    ("assumptions", "message"),
    [
        ({"endpoint": "proportions", "p1": 0.25}, "needs p2"),
        ({"endpoint": "means", "sd": 10}, "needs delta"),
        ({"endpoint": "survival", "hazard_ratio": 1.5}, "needs event_probability"),
        ({"endpoint": "proportions", "p1": 0.2, "p2": 0.2}, "no effect to detect"),
        ({"endpoint": "proportions", "p1": 1.2, "p2": 0.2}, "p1"),
        ({"endpoint": "odds", "p1": 0.3, "p2": 0.2}, "endpoint"),
        ({"endpoint": "means", "delta": 5, "sd": 10, "power": 0.3}, "power"),
    ],
)
def test_incomplete_or_impossible_assumptions_are_refused_naming_the_field(assumptions, message):
    with pytest.raises(InvalidInput, match=message):
        load_protocol_text(_with_sample_size(target=100, assumptions=assumptions))


@pytest.mark.parametrize(
    ("looks", "message"),
    [([0.5, 0.8], "the last look must be the final"), ([0.6, 0.3, 1.0], "increasing")],
)
def test_interim_looks_must_increase_to_the_final_analysis(looks, message):
    with pytest.raises(ValidationError, match=message):
        InterimPlan(looks=looks)


def test_an_intercurrent_event_strategy_is_one_of_ich_e9_r1s_five():
    with pytest.raises(ValidationError, match="treatment_policy"):
        Estimand.model_validate(
            {
                "population": "all randomised",
                "intercurrent_events": [{"event": "death", "strategy": "ignore"}],
                "summary_measure": "hazard ratio",
            }
        )
