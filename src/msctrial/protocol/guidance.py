"""Expert-guidance rules: one function per rule, each returning its findings for a protocol.

The rules on dosing are in ``guidance_dosing``, those on design in ``guidance_design``; this
module runs them all.

The numbers live in a versioned ruleset file (``protocol.ruleset``); the seed's guidance is the
default. Rule ids are a contract shared by ``msctrial protocol check`` and the registry survey.
A rule says nothing about what a protocol leaves unknown (``None``): the registry reader fills
only what a record states, and we do not guess.
"""

from __future__ import annotations

from msctrial.protocol.findings import Context, Finding, Rule
from msctrial.protocol.guidance_design import (
    check_double_blind,
    check_follow_up,
    check_placebo,
    check_primary_endpoint,
    check_randomised,
    check_safety_endpoints,
    check_standard_care,
)
from msctrial.protocol.guidance_dosing import (
    check_dose,
    check_indication,
    check_infusions,
    check_interval,
    format_cells,
)
from msctrial.protocol.guidance_planning import check_sample_size
from msctrial.protocol.model import Protocol
from msctrial.protocol.ruleset import (
    DEFAULT_RULESET,
    RULE_IDS,
    Guidance,
    Level,
    default_guidance,
    load_guidance,
    load_guidance_text,
)

__all__ = [
    "check_dose",
    "check_double_blind",
    "check_follow_up",
    "check_guidance",
    "check_indication",
    "check_infusions",
    "check_interval",
    "check_placebo",
    "check_primary_endpoint",
    "check_randomised",
    "check_safety_endpoints",
    "check_standard_care",
    "Context",
    "default_guidance",
    "DEFAULT_RULESET",
    "Finding",
    "format_cells",
    "Guidance",
    "has_deviation",
    "Level",
    "load_guidance",
    "load_guidance_text",
    "Rule",
    "RULE_IDS",
]


RULES: dict[str, Rule] = {
    "indication": check_indication,
    "too_many_infusions": check_infusions,
    "dose_per_kg": check_dose,
    "interval_short": check_interval,
    "not_randomised": check_randomised,
    "not_double_blind": check_double_blind,
    "placebo_composition": check_placebo,
    "standard_care_both_arms": check_standard_care,
    "primary_endpoint": check_primary_endpoint,
    "safety_endpoints": check_safety_endpoints,
    "follow_up": check_follow_up,
    "sample_size_power": check_sample_size,
}


def check_guidance(
    protocol: Protocol,
    guidance: Guidance | None = None,
    weights_kg: tuple[float, float] = (50.0, 100.0),
) -> list[Finding]:
    """Every finding of every rule, deviations first."""
    ctx = Context(guidance or default_guidance(), weights_kg)
    findings = [f for rule in RULES.values() for f in rule(protocol, ctx)]
    return sorted(findings, key=lambda f: (f.level != "deviation", RULE_IDS.index(f.rule)))


def has_deviation(findings: list[Finding]) -> bool:
    """Whether any finding departs from the guidance (not only advises)."""
    return any(f.level == "deviation" for f in findings)
