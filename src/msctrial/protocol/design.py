"""Trial design arithmetic: sample size and power, and group-sequential efficacy bounds. Pure.

Sample size is the normal approximation a protocol states (two-sided alpha): statsmodels'
``NormalIndPower`` solves it, given the standardised effect of each endpoint:

- two proportions: (p1 - p2) over the unpooled standard deviation, so that with equal arms
  n per arm = (z_{1-a/2} + z_{1-b})^2 [p1(1 - p1) + p2(1 - p2)] / (p1 - p2)^2 (CLINICAL_FACTS
  §8.2), optionally with Fleiss' continuity correction;
- two means: delta / sd;
- time to event (Schoenfeld, Biometrika 1981): the number of events, a one-sample normal test of
  log HR with standard deviation 1 / sqrt(p (1 - p)), p the share randomised to one arm.

Interim efficacy bounds are one-sided, for Lan-DeMets alpha spending (Lan & DeMets, Biometrika
1983): the bound at each look spends what the spending function allows by then, given that no
earlier bound was crossed. The joint law of the test statistics at the looks is the canonical
one (Jennison & Turnbull 2000, §3.1); it is integrated recursively on a grid (scipy's
``simpson``) and each bound found by scipy's ``brentq``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

import numpy as np
from scipy.integrate import simpson
from scipy.optimize import brentq
from scipy.stats import norm
from statsmodels.stats.power import NormalIndPower

from msctrial.core.errors import InvalidInput


class Spending(StrEnum):
    obrien_fleming = "obrien-fleming"
    pocock = "pocock"


@dataclass(frozen=True)
class SampleSize:
    """Subjects per arm (the first arm; the other has ``ratio`` times as many) and in all."""

    n_per_arm: int
    n_total: int
    n_other_arm: int

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class EventCount:
    """Events needed (Schoenfeld) and, given the probability of an event, subjects in all."""

    events: int
    n_total: int | None = None

    def to_dict(self) -> dict[str, int | None]:
        data = asdict(self)
        if self.n_total is None:
            del data["n_total"]
        return data


def _check(name: str, value: float, low: float, high: float) -> None:
    if not (low < value < high):
        raise InvalidInput(f"{name}: {value:g} must lie between {low:g} and {high:g}", field=name)


def _check_common(alpha: float, power: float | None, ratio: float) -> None:
    _check("alpha", alpha, 0, 1)
    if power is not None:
        _check("power", power, 0, 1)
    if not ratio > 0:
        raise InvalidInput(f"ratio: {ratio:g} must be positive", field="ratio")


def _solve_n(effect: float, alpha: float, power: float, ratio: float) -> float:
    return float(
        NormalIndPower().solve_power(
            effect_size=abs(effect), alpha=alpha, power=power, ratio=ratio, alternative="two-sided"
        )
    )


def _power(effect: float, n_per_arm: float, alpha: float, ratio: float) -> float:
    return float(
        NormalIndPower().power(
            effect_size=abs(effect), nobs1=n_per_arm, alpha=alpha, ratio=ratio,
            alternative="two-sided",
        )
    )  # fmt: skip


def _sizes(n: float, ratio: float) -> SampleSize:
    first = math.ceil(n - 1e-9)
    other = math.ceil(first * ratio - 1e-9)
    return SampleSize(n_per_arm=first, n_total=first + other, n_other_arm=other)


def proportions_effect(p1: float, p2: float, ratio: float = 1.0) -> float:
    """The standardised difference whose two-sample z test has the unpooled variance."""
    _check("p1", p1, 0, 1)
    _check("p2", p2, 0, 1)
    if p1 == p2:
        raise InvalidInput(
            "p2: the two proportions are equal; there is no effect to detect", field="p2"
        )
    variance = (p1 * (1 - p1) + p2 * (1 - p2) / ratio) / (1 + 1 / ratio)
    return (p1 - p2) / math.sqrt(variance)


def sample_size_proportions(
    p1: float, p2: float, *, alpha: float = 0.05, power: float = 0.8, ratio: float = 1.0,
    continuity: bool = False,
) -> SampleSize:  # fmt: skip
    """Subjects to detect p1 against p2 (p2's arm ``ratio`` times as large)."""
    _check_common(alpha, power, ratio)
    n = _solve_n(proportions_effect(p1, p2, ratio), alpha, power, ratio)
    if continuity:
        # Fleiss, Levin & Paik, Statistical Methods for Rates and Proportions, 3rd ed., eq. 4.19.
        n = n / 4 * (1 + math.sqrt(1 + 2 * (ratio + 1) / (ratio * n * abs(p1 - p2)))) ** 2
    return _sizes(n, ratio)


def sample_size_means(
    delta: float, sd: float, *, alpha: float = 0.05, power: float = 0.8, ratio: float = 1.0
) -> SampleSize:
    """Subjects to detect a difference ``delta`` in means with standard deviation ``sd``."""
    _check_common(alpha, power, ratio)
    if not sd > 0:
        raise InvalidInput(f"sd: {sd:g} must be positive", field="sd")
    if delta == 0:
        raise InvalidInput("delta: a difference of 0 cannot be detected", field="delta")
    return _sizes(_solve_n(delta / sd, alpha, power, ratio), ratio)


def _log_hr_effect(hazard_ratio: float, ratio: float) -> float:
    if not hazard_ratio > 0 or hazard_ratio == 1:
        raise InvalidInput(
            f"hazard_ratio: {hazard_ratio:g} must be positive and not 1", field="hazard_ratio"
        )
    share = 1 / (1 + ratio)
    return math.log(hazard_ratio) * math.sqrt(share * (1 - share))


def events_survival(
    hazard_ratio: float, *, alpha: float = 0.05, power: float = 0.8, ratio: float = 1.0,
    event_probability: float | None = None,
) -> EventCount:  # fmt: skip
    """Events to detect ``hazard_ratio`` by the log-rank test (Schoenfeld)."""
    _check_common(alpha, power, ratio)
    effect = _log_hr_effect(hazard_ratio, ratio)
    # ratio=0 makes NormalIndPower a one-sample test: the events are its observations.
    events = math.ceil(_solve_n(effect, alpha, power, 0) - 1e-9)
    if event_probability is None:
        return EventCount(events=events)
    _check("event_probability", event_probability, 0, 1.000001)
    return EventCount(events=events, n_total=math.ceil(events / event_probability - 1e-9))


def power_proportions(
    p1: float, p2: float, n_per_arm: int, *, alpha: float = 0.05, ratio: float = 1.0
) -> float:
    """The power of the two-proportion test with ``n_per_arm`` in the first arm."""
    _check_common(alpha, None, ratio)
    return _power(proportions_effect(p1, p2, ratio), n_per_arm, alpha, ratio)


def power_means(
    delta: float, sd: float, n_per_arm: int, *, alpha: float = 0.05, ratio: float = 1.0
) -> float:
    """The power of the two-sample z test of means with ``n_per_arm`` in the first arm."""
    _check_common(alpha, None, ratio)
    if not sd > 0:
        raise InvalidInput(f"sd: {sd:g} must be positive", field="sd")
    return _power(delta / sd, n_per_arm, alpha, ratio)


def power_survival(
    hazard_ratio: float, events: int, *, alpha: float = 0.05, ratio: float = 1.0
) -> float:
    """The power of the log-rank test after ``events`` events (Schoenfeld)."""
    _check_common(alpha, None, ratio)
    return _power(_log_hr_effect(hazard_ratio, ratio), events, alpha, 0)


# --- group-sequential bounds -------------------------------------------------------------


@dataclass(frozen=True)
class Look:
    information: float
    z: float
    nominal_p: float
    cumulative_alpha: float


@dataclass(frozen=True)
class Boundaries:
    """One-sided efficacy bounds at each look, for the spending function named."""

    alpha: float
    spending: str
    looks: tuple[Look, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "alpha": self.alpha,
            "spending": self.spending,
            "looks": [asdict(look) for look in self.looks],
        }


def spent_alpha(t: float, alpha: float, spending: Spending) -> float:
    """Alpha spent by information fraction ``t`` (Lan & DeMets 1983).

    O'Brien-Fleming type: 2 - 2 Phi(z_{1-alpha/2} / sqrt t), for a one-sided ``alpha``, as
    gsDesign's ``sfLDOF`` and rpact's ``asOF``; Pocock type: alpha ln(1 + (e - 1) t).
    """
    if spending is Spending.obrien_fleming:
        return float(2 * norm.sf(norm.isf(alpha / 2) / math.sqrt(t)))
    return float(alpha * math.log(1 + (math.e - 1) * t))


def _check_looks(looks: Sequence[float]) -> list[float]:
    fractions = [float(t) for t in looks]
    if not fractions:
        raise InvalidInput("looks: give at least one information fraction", field="looks")
    if any(not 0 < t <= 1 for t in fractions) or fractions != sorted(set(fractions)):
        raise InvalidInput(
            "looks: information fractions must increase strictly within (0, 1], "
            f"got {', '.join(f'{t:g}' for t in fractions)}",
            field="looks",
        )
    if fractions[-1] != 1:
        raise InvalidInput("looks: the last look is the final analysis, 1.0", field="looks")
    return fractions


# The grid of the recursive integration: the density below -LOWER_Z is negligible (< 1e-20).
LOWER_Z = 10.0
GRID_POINTS = 801


@dataclass(frozen=True)
class _Continuing:
    """The sub-density of Z_k on the continuation region (Z_j below its bound at every look so
    far) on a grid, at information fraction ``t``."""

    grid: np.ndarray
    density: np.ndarray
    t: float


def _start(bound: float, t: float) -> _Continuing:
    grid = np.linspace(-LOWER_Z, bound, GRID_POINTS)
    return _Continuing(grid, norm.pdf(grid), t)


def _standardised(z: np.ndarray, state: _Continuing, t: float) -> np.ndarray:
    """The increment of the score process from each grid point to each z, in standard units."""
    step = math.sqrt(t - state.t)
    return (z[:, None] * math.sqrt(t) - state.grid[None, :] * math.sqrt(state.t)) / step


def _crossing(state: _Continuing, t: float, bound: float) -> float:
    """P(continue to the last look, then Z >= bound at fraction t)."""
    beyond = norm.sf(_standardised(np.array([bound]), state, t))[0]
    return float(simpson(state.density * beyond, x=state.grid))


def _advance(state: _Continuing, t: float, bound: float) -> _Continuing:
    grid = np.linspace(-LOWER_Z, bound, GRID_POINTS)
    kernel = norm.pdf(_standardised(grid, state, t)) * math.sqrt(t / (t - state.t))
    return _Continuing(grid, simpson(kernel * state.density[None, :], x=state.grid, axis=1), t)


def _first_crossings(bounds: Sequence[float], fractions: Sequence[float]) -> list[float]:
    """P(the statistic first crosses its bound at look k), k = 1..K, under the null hypothesis.

    Recursive numerical integration (Armitage, McPherson & Rowe, JRSS A 1969; Jennison &
    Turnbull 2000, ch. 19): the sub-density of Z_k on the continuation region is carried from
    look to look through the independent increments of the score process, whose joint law is
    the canonical one (Jennison & Turnbull §3.1: corr(Z_i, Z_j) = sqrt(t_i / t_j)); scipy's
    ``simpson`` integrates each step.
    """
    crossings = [float(norm.sf(bounds[0]))]
    state = _start(bounds[0], fractions[0])
    for k in range(1, len(bounds)):
        crossings.append(_crossing(state, fractions[k], bounds[k]))
        if k + 1 < len(bounds):
            state = _advance(state, fractions[k], bounds[k])
    return crossings


def _bound_spending(state: _Continuing, t: float, increment: float) -> float:
    """The bound at fraction t that spends ``increment`` beyond the looks so far."""

    def excess(b: float) -> float:
        return _crossing(state, t, b) - increment

    return float(brentq(excess, 0.0, 9.0, xtol=1e-7))


def efficacy_bounds(
    looks: Sequence[float], *, alpha: float = 0.025, spending: Spending = Spending.obrien_fleming
) -> Boundaries:
    """One-sided efficacy bounds (z) at the looks' information fractions (the last is 1)."""
    _check("alpha", alpha, 0, 0.5)
    fractions = _check_looks(looks)
    bounds: list[float] = []
    result = []
    spent = 0.0
    state: _Continuing | None = None
    for t in fractions:
        target = spent_alpha(t, alpha, spending)
        increment = target - spent
        if state is None:
            bounds.append(float(norm.isf(increment)))
        else:
            bounds.append(_bound_spending(state, t, increment))
        state = _start(bounds[0], t) if state is None else _advance(state, t, bounds[-1])
        spent = target
        result.append(
            Look(information=t, z=bounds[-1], nominal_p=float(norm.sf(bounds[-1])),
                 cumulative_alpha=target)
        )  # fmt: skip
    return Boundaries(alpha=alpha, spending=spending.value, looks=tuple(result))


def classic_bounds(
    looks: Sequence[float], *, alpha: float = 0.025, spending: Spending = Spending.obrien_fleming
) -> Boundaries:
    """The original (not spending) designs: O'Brien-Fleming c / sqrt(t), Pocock c at every look,
    with c such that the overall one-sided type I error is ``alpha``."""
    _check("alpha", alpha, 0, 0.5)
    fractions = _check_looks(looks)
    shape = np.array(
        [1 / math.sqrt(t) if spending is Spending.obrien_fleming else 1.0 for t in fractions]
    )

    def excess(c: float) -> float:
        return sum(_first_crossings(list(c * shape), fractions)) - alpha

    c = float(brentq(excess, 0.5, 9.0, xtol=1e-7))
    cumulative = np.cumsum(_first_crossings(list(c * shape), fractions))
    result = []
    for k, (t, crossed) in enumerate(zip(fractions, cumulative, strict=True)):
        z = float(c * shape[k])
        result.append(
            Look(information=t, z=z, nominal_p=float(norm.sf(z)), cumulative_alpha=crossed)
        )
    return Boundaries(alpha=alpha, spending=f"classic {spending.value}", looks=tuple(result))
