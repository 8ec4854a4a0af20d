"""The allocation list: balance within blocks, varied block sizes, reproducible from the seed."""

from __future__ import annotations

from collections import Counter

import pytest

from msctrial.clinical.randomisation.blocks import (
    all_strata,
    balanced,
    block_sizes,
    generate_list,
    stratum_list,
)
from msctrial.core.errors import InvalidInput

ONE_TO_ONE = {"UC-MSC": 1, "Placebo": 1}
TWO_TO_ONE = {"UC-MSC": 2, "Placebo": 1}


@pytest.mark.parametrize("ratio", [ONE_TO_ONE, TWO_TO_ONE, {"A": 1, "B": 1, "C": 1}])
def test_every_block_holds_the_arms_in_the_ratio(ratio):
    slots = stratum_list("seed-1", "site=WUH|severity=severe", ratio, 200)
    blocks: dict[int, list[str]] = {}
    for s in slots:
        blocks.setdefault(s.block_no, []).append(s.arm)
    assert all(balanced(arms, ratio) for arms in blocks.values())
    assert [s.position for s in slots] == list(range(1, len(slots) + 1))


def test_block_sizes_vary_at_random():
    slots = stratum_list("seed-1", "all", ONE_TO_ONE, 400)
    sizes = {s.block_size for s in slots}
    assert sizes == {4, 6} == set(block_sizes(ONE_TO_ONE, (2, 3)))


def test_the_same_seed_gives_the_same_list_and_another_seed_another():
    strata = all_strata(["site", "severity"], {"site": ["WUH", "BJS"], "severity": ["severe"]})
    first = generate_list("a-secret-seed", strata, ONE_TO_ONE, 50)
    assert first == generate_list("a-secret-seed", strata, ONE_TO_ONE, 50)
    assert first != generate_list("another-seed", strata, ONE_TO_ONE, 50)


def test_adding_a_stratum_leaves_the_others_unchanged():
    one = generate_list("s", ["site=WUH"], ONE_TO_ONE, 30)
    two = generate_list("s", ["site=WUH", "site=KMG"], ONE_TO_ONE, 30)
    assert one["site=WUH"] == two["site=WUH"]


def test_strata_are_every_combination_of_the_factors():
    assert all_strata(["site", "severity"], {"site": ["BJS", "WUH"], "severity": ["a", "b"]}) == [
        "site=BJS|severity=a",
        "site=BJS|severity=b",
        "site=WUH|severity=a",
        "site=WUH|severity=b",
    ]


def test_allocation_over_many_strata_is_close_to_the_ratio():
    lists = generate_list("x", [f"s{i}" for i in range(20)], TWO_TO_ONE, 99)
    counts = Counter(s.arm for slots in lists.values() for s in slots)
    assert counts["UC-MSC"] == 2 * counts["Placebo"]


@pytest.mark.parametrize(
    ("ratio", "field"),
    [({"A": 1}, "arms"), ({"A": 1, "B": 0}, "allocation_ratio")],
)
def test_an_impossible_design_is_refused(ratio, field):
    with pytest.raises(InvalidInput) as err:
        stratum_list("s", "all", ratio, 10)
    assert err.value.field == field
