"""What a protocol states about its statistics: the assumptions behind its sample size, its
interim looks, and each endpoint's estimand.

The seed asks every trial's scientific design to be judged on "sample size and power"
(DOMAIN.md §5); a stated target can only be judged against stated assumptions, so a protocol
may give them and ``protocol check`` then recomputes the size (``guidance_planning``).
Estimands follow ICH E9(R1) (2019): population, variable, how each intercurrent event is
handled, and the population-level summary.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

PowerEndpoint = Literal["proportions", "means", "survival"]
Spending = Literal["obrien-fleming", "pocock"]
# ICH E9(R1) §A.3.2: the five strategies for an intercurrent event.
Strategy = Literal[
    "treatment_policy", "hypothetical", "composite", "while_on_treatment", "principal_stratum"
]

_NEEDS: dict[str, tuple[str, ...]] = {
    "proportions": ("p1", "p2"),
    "means": ("delta", "sd"),
    "survival": ("hazard_ratio",),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class PowerAssumptions(_Strict):
    """The figures a sample size was computed from (two arms, two-sided alpha)."""

    endpoint: PowerEndpoint
    p1: float | None = Field(default=None, gt=0, lt=1, description="control-arm proportion")
    p2: float | None = Field(default=None, gt=0, lt=1, description="cell-arm proportion")
    delta: float | None = Field(default=None, description="difference in means to detect")
    sd: float | None = Field(default=None, gt=0, description="standard deviation")
    hazard_ratio: float | None = Field(default=None, gt=0)
    event_probability: float | None = Field(
        default=None, gt=0, le=1, description="share of subjects with an event (survival)"
    )
    alpha: float = Field(default=0.05, gt=0, lt=0.5)
    power: float = Field(default=0.8, ge=0.5, lt=1)
    ratio: float = Field(default=1.0, gt=0, le=10, description="cell arm size / control arm")
    dropout: float = Field(default=0.0, ge=0, lt=0.9, description="share expected not analysed")
    continuity: bool = False

    @model_validator(mode="after")
    def _complete(self) -> Self:
        missing = [k for k in _NEEDS[self.endpoint] if getattr(self, k) is None]
        if missing:
            raise ValueError(
                f"a {self.endpoint} sample size needs {' and '.join(missing)}"
                f" (give {', '.join(_NEEDS[self.endpoint])})"
            )
        if self.endpoint == "proportions" and self.p1 == self.p2:
            raise ValueError("p1 and p2 are equal: there is no effect to detect")
        if self.endpoint == "means" and self.delta == 0:
            raise ValueError("delta is 0: there is no effect to detect")
        if self.endpoint == "survival" and self.hazard_ratio == 1:
            raise ValueError("hazard_ratio is 1: there is no effect to detect")
        if self.endpoint == "survival" and self.event_probability is None:
            raise ValueError(
                "a survival sample size needs event_probability to turn events into subjects"
            )
        return self


class InterimPlan(_Strict):
    """Planned looks, as information fractions ending at 1, and the alpha-spending function."""

    looks: list[float] = Field(min_length=1, max_length=10)
    spending: Spending = "obrien-fleming"

    @model_validator(mode="after")
    def _fractions(self) -> Self:
        looks = self.looks
        if any(not 0 < t <= 1 for t in looks) or looks != sorted(set(looks)):
            raise ValueError("looks must be increasing fractions in (0, 1], e.g. [0.5, 1.0]")
        if looks[-1] != 1:
            raise ValueError("the last look must be the final analysis, at information 1.0")
        return self


class IntercurrentEvent(_Strict):
    event: str = Field(min_length=1, max_length=200, description="e.g. death, rescue therapy")
    strategy: Strategy


class Estimand(_Strict):
    """ICH E9(R1)'s four attributes beside the endpoint's variable (its measure and days)."""

    population: str = Field(min_length=1, max_length=500)
    intercurrent_events: list[IntercurrentEvent] = Field(default_factory=list)
    summary_measure: str = Field(min_length=1, max_length=200, description="e.g. hazard ratio")
