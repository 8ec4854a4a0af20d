"""A guidance finding and what every rule is given: the guidance's numbers and reference weights."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

from msctrial.protocol.model import Arm, Protocol
from msctrial.protocol.ruleset import Guidance, Level


@dataclass(frozen=True)
class Finding:
    rule: str
    level: Level
    message: str
    field: str
    source: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class Context:
    guidance: Guidance
    weights_kg: tuple[float, float] = (50.0, 100.0)

    def finding(
        self, rule: str, message: str, field: str, source: str, level: Level | None = None
    ) -> Finding:
        return Finding(rule, level or self.guidance.level(rule), message, field, source)


Rule = Callable[[Protocol, Context], list[Finding]]


def arm_field(p: Protocol, arm: Arm, tail: str) -> str:
    """The field path of an arm's attribute, as errors and findings name it."""
    return f"arms[{p.arms.index(arm)}].{tail}"
