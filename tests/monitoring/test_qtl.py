"""Study-level quality tolerance limits: gsm.qtl's one-sided proportion, worked by hand."""

from __future__ import annotations

import json
import math

import pytest

from msctrial.core.actors import Actor, Grant
from msctrial.core.errors import InvalidInput
from msctrial.monitoring.methods import one_sided_proportion
from msctrial.monitoring.service import quality_tolerance_limits
from tests.cli.conftest import cli  # noqa: F401  (the fixture)
from tests.monitoring.conftest import AS_OF


@pytest.mark.parametrize(
    ("discontinued", "flag"),
    [(20, 0), (21, 1), (34, 1), (35, 2)],
)
def test_qtl0002_discontinuation_against_seven_percent(discontinued, flag):
    """300 subjects, p₀ = 0.07: se = √(0.07 × 0.93 / 300) = 0.0147309, the funnel
    p₀ + 3 se = 0.1141927. 20/300 = 0.0667 is below p₀ (0), 21/300 = 0.07 reaches it (1),
    34/300 = 0.1133 stays inside the funnel (1), 35/300 = 0.1167 is past it (2; z = 3.168)."""
    result = one_sided_proportion(discontinued, 300, 0.07, 3)
    assert result.upper == pytest.approx(0.07 + 3 * math.sqrt(0.07 * 0.93 / 300))
    assert result.upper == pytest.approx(0.1141927, abs=1e-7)
    assert result.flag == flag
    if discontinued == 35:
        assert result.score == pytest.approx(3.1680, abs=1e-4)


def test_no_denominator_no_flag_and_a_limit_outside_zero_one_is_refused():
    assert one_sided_proportion(0, 0, 0.03).flag is None
    with pytest.raises(InvalidInput) as caught:
        one_sided_proportion(1, 10, 1.0)
    assert caught.value.field == "limit"


def test_the_trials_qtls_and_their_command(world, cli):  # noqa: F811
    rows = quality_tolerance_limits(
        world.session, Actor("m", grants=(Grant("monitor"),)), now=AS_OF
    )
    assert [r.qtl for r in rows] == ["QTL01", "QTL02"]
    assert all(r.result.denominator > 0 for r in rows)
    world.session.close()
    result = cli("monitor", "qtl", "--db", world.path, "--json")
    assert result.code in (0, 1), result
    out = json.loads(result.out)
    assert {
        "qtl",
        "name",
        "numerator",
        "denominator",
        "metric",
        "limit",
        "upper",
        "score",
        "flag",
    } == set(out[0])
