"""The five-part quality scorecard: rules on the facts a trial holds, weights from YAML. Pure.

The parts are the seed's, in its order (DOMAIN.md §5): ethics compliance, scientific design,
the stem cell product, execution progress, execution quality. ``facts`` gathers what the
platform holds into ``TrialFacts`` (``scorecard_model``); each item's rule
(``scorecard_rules``) turns them into a status (pass, warn, fail, or info when the platform
cannot judge it) and evidence that says what and where; this module weighs them into parts.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from msctrial.core.errors import InvalidInput
from msctrial.core.validation import explain, parse_yaml, read_text
from msctrial.monitoring.scorecard_model import (
    MARKS,
    NAMED,
    PARTS,
    ItemSpec,
    Status,
    TrialFacts,
    Where,
)
from msctrial.monitoring.scorecard_rules import (
    RULES,
    Rule,
    named,
    proportion_status,
    unit_release_problem,
)

__all__ = [
    "MARKS",
    "NAMED",
    "PARTS",
    "RULES",
    "ItemResult",
    "ItemSpec",
    "PartResult",
    "PartSpec",
    "Rule",
    "Scorecard",
    "ScorecardConfig",
    "Status",
    "TrialFacts",
    "Where",
    "default_scorecard",
    "load_scorecard",
    "load_scorecard_text",
    "named",
    "part_score",
    "proportion_status",
    "score_trial",
    "unit_release_problem",
]


# --- the configuration -------------------------------------------------------------------


class PartSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    part: Literal[PARTS]  # type: ignore[valid-type]
    items: list[ItemSpec] = Field(min_length=1)


class ScorecardConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    parts: list[PartSpec]
    endpoint_items: dict[str, tuple[str, str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _order(self) -> ScorecardConfig:
        if [p.part for p in self.parts] != list(PARTS):
            raise ValueError(f"parts must be the five, in the seed's order: {', '.join(PARTS)}")
        for part in self.parts:
            unknown = [i.item for i in part.items if i.item not in RULES]
            if unknown:
                raise ValueError(f"unknown items {unknown}; known: {', '.join(sorted(RULES))}")
        return self


def load_scorecard_text(text: str, what: str = "scorecard") -> ScorecardConfig:
    data = parse_yaml(text, what)
    if not isinstance(data, dict):
        raise InvalidInput(f"{what}: expected a mapping with `parts`", field="scorecard")
    try:
        return ScorecardConfig.model_validate(data)
    except ValidationError as exc:
        raise explain(exc, ScorecardConfig, prefix="scorecard") from None


@functools.cache
def default_scorecard() -> ScorecardConfig:
    text = resources.files("msctrial.monitoring").joinpath("scorecard.yaml").read_text("utf-8")
    return load_scorecard_text(text, "scorecard.yaml")


def load_scorecard(path: Path | None) -> ScorecardConfig:
    if path is None:
        return default_scorecard()
    return load_scorecard_text(read_text(path, "scorecard"), "scorecard")


# --- the results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemResult:
    item: str
    status: Status
    evidence: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "status": self.status,
            "evidence": self.evidence,
            "source": self.source,
        }


@dataclass(frozen=True)
class PartResult:
    part: str
    score: float | None
    items: list[ItemResult]

    def to_dict(self) -> dict[str, Any]:
        return {
            "part": self.part,
            "score": self.score,
            "items": [i.to_dict() for i in self.items],
        }


@dataclass(frozen=True)
class Scorecard:
    parts: list[PartResult]

    def to_dict(self) -> dict[str, Any]:
        return {"parts": [p.to_dict() for p in self.parts]}


def part_score(items: Sequence[ItemResult], specs: Sequence[ItemSpec]) -> float | None:
    """100 × Σ weight × marks / Σ weight over the scored (not info) items."""
    weight = {s.item: s.weight for s in specs}
    scored = [(weight[i.item], MARKS[i.status]) for i in items if i.status in MARKS]
    total = sum(w for w, _ in scored)
    return round(100.0 * sum(w * m for w, m in scored) / total, 1) if total else None


def score_trial(facts: TrialFacts, config: ScorecardConfig | None = None) -> Scorecard:
    config = config or default_scorecard()
    parts = []
    for part in config.parts:
        items = []
        for spec in part.items:
            status, evidence = RULES[spec.item](facts, spec)
            items.append(ItemResult(spec.item, status, evidence, spec.source))
        parts.append(PartResult(part.part, part_score(items, part.items), items))
    return Scorecard(parts)
