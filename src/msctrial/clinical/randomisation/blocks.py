"""The allocation list: stratified permuted blocks with randomly varied block sizes. Pure.

Each stratum (e.g. site=WUH|severity=severe) has its own sequence of blocks. A block holds
every arm in proportion to its ``allocation_ratio`` times a multiplier drawn at random (block
sizes 4 and 6 for 1:1 by default), shuffled; varying the size keeps the last allocations of a
block from being guessed (ICH E9 §2.3.2: block length should stay unknown to investigators). Each stratum's random
stream is derived from the trial's secret seed and the stratum's name, so the same seed gives
the same list, and adding a stratum later (a new site) leaves the others unchanged.
"""

from __future__ import annotations

import hashlib
import itertools
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from msctrial.core.errors import InvalidInput

ALGORITHM = "permuted-blocks-v1"


# Block-size multipliers of the ratio's sum: 1:1 gives blocks of 4 or 6 (a common choice; D).
DEFAULT_MULTIPLIERS = (2, 3)


# Age strata, when the protocol stratifies by age: 65 years splits older adults (a design
# choice, D; COVID-19 mortality rises steeply with age).
AGE_GROUPS = ("18-64", "65+")


AGE_SPLIT = 65


@dataclass(frozen=True)
class Slot:
    """One line of a stratum's list: the position within it, its block, and the arm."""

    stratum: str
    position: int
    block_no: int
    block_size: int
    arm: str


def randomisation_number(
    seed: str, list_id: int, stratum: str, position: int, attempt: int = 0
) -> str:
    """A slot's printed number, derived from the secret seed so it says nothing of the list.

    A sequential number (stratum index, position) would let anyone who sees a few numbers and
    the block sizes reconstruct the blocks; a keyed hash of the seed, stratum and position gives
    no order at all (ICH E9 §2.3.2: block length and membership stay unknown to the blinded).
    ``attempt`` draws another number in the rare case of a collision.
    """
    digest = hashlib.sha256(f"{seed}|number|{stratum}|{position}|{attempt}".encode()).hexdigest()
    return f"R{list_id}-{digest[:10].upper()}"


def stratum_key(values: Mapping[str, str]) -> str:
    """A stratum's name from its factor values, in the protocol's factor order."""
    return "|".join(f"{k}={v}" for k, v in values.items()) or "all"


def age_group(age_years: int) -> str:
    return AGE_GROUPS[1] if age_years >= AGE_SPLIT else AGE_GROUPS[0]


def all_strata(factors: Sequence[str], levels: Mapping[str, Sequence[str]]) -> list[str]:
    """Every combination of the factors' levels, e.g. 3 sites × 3 severities = 9 strata."""
    for f in factors:
        if not levels.get(f):
            raise InvalidInput(f"stratification: factor {f!r} has no levels", field=f)
    combos = itertools.product(*(levels[f] for f in factors))
    return [stratum_key(dict(zip(factors, combo, strict=True))) for combo in combos]


def block_sizes(ratio: Mapping[str, int], multipliers: Sequence[int]) -> list[int]:
    unit = sum(ratio.values())
    return sorted({unit * m for m in multipliers})


def _check(ratio: Mapping[str, int], multipliers: Sequence[int], per_stratum: int) -> None:
    if len(ratio) < 2:
        raise InvalidInput("arms: randomisation needs at least two arms", field="arms")
    if any(r < 1 for r in ratio.values()):
        raise InvalidInput(
            "allocation_ratio: every arm needs a ratio of 1 or more", field="allocation_ratio"
        )
    if not multipliers or any(m < 1 for m in multipliers):
        raise InvalidInput(
            "block_multipliers: give whole numbers of 1 or more, e.g. 2,3",
            field="block_multipliers",
        )
    if per_stratum < 1:
        raise InvalidInput("per_stratum: must be at least 1", field="per_stratum")


def stratum_rng(seed: str, stratum: str) -> random.Random:
    """An independent, reproducible random stream for one stratum."""
    digest = hashlib.sha256(f"{ALGORITHM}|{seed}|{stratum}".encode()).digest()
    return random.Random(int.from_bytes(digest, "big"))


def stratum_list(
    seed: str,
    stratum: str,
    ratio: Mapping[str, int],
    per_stratum: int,
    multipliers: Sequence[int] = DEFAULT_MULTIPLIERS,
) -> list[Slot]:
    """Complete blocks until the stratum holds at least ``per_stratum`` allocations."""
    _check(ratio, multipliers, per_stratum)
    rng = stratum_rng(seed, stratum)
    arms = sorted(ratio)  # a fixed order, so the list depends on the seed alone
    slots: list[Slot] = []
    block_no = 0
    while len(slots) < per_stratum:
        block_no += 1
        m = rng.choice(list(multipliers))
        block = [arm for arm in arms for _ in range(ratio[arm] * m)]
        rng.shuffle(block)
        for arm in block:
            slots.append(Slot(stratum, len(slots) + 1, block_no, len(block), arm))
    return slots


def generate_list(
    seed: str,
    strata: Sequence[str],
    ratio: Mapping[str, int],
    per_stratum: int,
    multipliers: Sequence[int] = DEFAULT_MULTIPLIERS,
) -> dict[str, list[Slot]]:
    """The whole list, stratum by stratum."""
    if not seed:
        raise InvalidInput("seed: the randomisation seed must not be empty", field="seed")
    return {s: stratum_list(seed, s, ratio, per_stratum, multipliers) for s in strata}


def seed_sha256(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def balanced(arms: Sequence[str], ratio: Mapping[str, int]) -> bool:
    """Whether a complete block holds the arms exactly in the ratio."""
    counts = Counter(arms)
    unit = sum(ratio.values())
    if not arms or len(arms) % unit:
        return False
    m = len(arms) // unit
    return set(counts) <= set(ratio) and all(counts[a] == r * m for a, r in ratio.items())
