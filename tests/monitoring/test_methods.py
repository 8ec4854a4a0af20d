"""gsm's scoring methods against figures worked by hand, and against scipy and statsmodels.

The formulas are gsm.core's (``R/Analyze_NormalApprox.R``, ``R/Analyze_Poisson.R``,
``R/Analyze_Fisher.R``, ``R/Flag.R``; vignette KRIMethod.Rmd); every expected number below is
worked in exact fractions in the test's docstring, not taken from our own code.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm
from scipy.stats import fisher_exact

from msctrial.core.errors import InvalidInput
from msctrial.monitoring.methods import (
    analyze,
    bound_at,
    normal_bounds,
    normal_scores,
    poisson_scores,
)
from msctrial.monitoring.model import (
    Accrual,
    AccrualMetric,
    GroupCount,
    KriType,
    Method,
    Thresholds,
    thresholds_for,
)

NORMAL = thresholds_for(Method.normal)


def counts(*rows: tuple[str, float, float]) -> list[GroupCount]:
    return [GroupCount(*row) for row in rows]


def test_binary_z_scores_and_phi_match_the_hand_worked_table():
    """Four sites, 2/10, 5/10, 1/20, 12/40: p̂ = 20/80 = 1/4, p̂(1−p̂) = 3/16.

    z₀² = (pᵢ − p̂)² nᵢ / (3/16):
      A (0.2 − 0.25)²·10·16/3 = 2/15     B (0.25)²·10·16/3 = 50/15
      C (0.2)²·20·16/3 = 64/15           D (0.05)²·40·16/3 = 8/15
    φ = mean = (124/15)/4 = 31/15 ≈ 2.0667; zᵢ = ±√(z₀²/φ): A −√(2/31), B √(50/31),
    C −√(64/31), D √(8/31).
    """
    table = counts(("A", 2, 10), ("B", 5, 10), ("C", 1, 20), ("D", 12, 40))
    scores = normal_scores(table, KriType.binary)
    assert scores.overall == pytest.approx(0.25)
    assert scores.dispersion == pytest.approx(31 / 15)
    expected = {
        "A": -math.sqrt(2 / 31),
        "B": math.sqrt(50 / 31),
        "C": -math.sqrt(64 / 31),
        "D": math.sqrt(8 / 31),
    }
    assert scores.scores == pytest.approx(expected)


def test_rate_z_scores_and_phi_match_the_hand_worked_table():
    """Five sites, events/days 10/1000, 30/1000, 5/500, 20/2000, 35/1500: λ̂ = 100/6000 = 1/60.

    z₀² = (xᵢ − λ̂Tᵢ)² / (λ̂Tᵢ), expected counts 50/3, 50/3, 25/3, 100/3, 25:
      A (20/3)²·3/50 = 8/3   B (40/3)²·3/50 = 32/3   C (10/3)²·3/25 = 4/3
      D (40/3)²·3/100 = 16/3   E 10²/25 = 4
    φ = 24/5; z = ±√(z₀²·5/24): A −√(5/9), B √(20/9), C −√(5/18), D −√(10/9), E √(5/6).
    """
    table = counts(
        ("A", 10, 1000), ("B", 30, 1000), ("C", 5, 500), ("D", 20, 2000), ("E", 35, 1500)
    )
    scores = normal_scores(table, KriType.rate)
    assert scores.overall == pytest.approx(1 / 60)
    assert scores.dispersion == pytest.approx(24 / 5)
    expected = {
        "A": -math.sqrt(5 / 9),
        "B": math.sqrt(20 / 9),
        "C": -math.sqrt(5 / 18),
        "D": -math.sqrt(10 / 9),
        "E": math.sqrt(5 / 6),
    }
    assert scores.scores == pytest.approx(expected)


def test_one_outlier_among_nineteen_equal_sites_is_red_and_the_others_green():
    """19 sites at 10/100 and one at 40/100 (equal denominators, so equal variances).

    With dᵢ = pᵢ − p̂, the 19 share d = −d₀/19, so mean(d²) = d₀²(1/19 + 1)/20 = d₀²/19 and
    the outlier's adjusted z² = d₀²/mean(d²) = 19 (z ≈ 4.36, red), each other z² = 1/19.
    """
    table = [GroupCount(f"S{i:02d}", 10, 100) for i in range(1, 20)] + [GroupCount("S20", 40, 100)]
    result = analyze(table, KriType.binary, Method.normal, NORMAL)
    by_site = {r.group: r for r in result.results}
    assert by_site["S20"].score == pytest.approx(math.sqrt(19))
    assert by_site["S20"].flag == 2
    assert by_site["S01"].score == pytest.approx(-math.sqrt(1 / 19))
    assert {r.flag for r in result.results if r.group != "S20"} == {0}
    assert result.notes == []


@pytest.mark.parametrize(
    ("score", "flag"),
    [
        (-3.0001, -2),
        (-3.0, -1),  # a score on a cut-point takes the band above: cut(right = FALSE)
        (-2.0001, -1),
        (-2.0, 0),
        (0.0, 0),
        (1.9999, 0),
        (2.0, 1),
        (2.9999, 1),
        (3.0, 2),
        (50.0, 2),
    ],
)
def test_threshold_bands_are_closed_on_the_lower_side(score, flag):
    assert NORMAL.flag(score) == flag


@pytest.mark.parametrize(
    ("cuts", "flags", "score", "flag"),
    [
        ((2, 3), (0, 1, 2), 1.99, 0),  # gsm's high-side-only KRIs (LB, SDSC, QRY …)
        ((2, 3), (0, 1, 2), 2.0, 1),
        ((1, 2), (0, 1, 2), 1.0, 1),  # DTH90: one death amber
        ((1, 2), (0, 1, 2), 2.0, 2),  # two deaths red
        ((0.85, 0.90), (-2, -1, 0), 0.8499, -2),  # PK compliance below 85 % red
        ((0.85, 0.90), (-2, -1, 0), 0.85, -1),
        ((0.85, 0.90), (-2, -1, 0), 0.90, 0),
    ],
)
def test_other_gsm_bands(cuts, flags, score, flag):
    assert Thresholds(cuts, flags).flag(score) == flag


def test_below_the_accrual_minimum_a_site_has_a_metric_but_no_score_or_flag():
    """gsm's Flag_Accrual runs after the fit: the small site still counts in p̂ and φ."""
    table = counts(("A", 2, 10), ("B", 5, 10), ("C", 1, 20), ("D", 12, 40))
    result = analyze(table, KriType.binary, Method.normal, NORMAL, Accrual(15))
    a = result.results[0]
    assert (a.metric, a.score, a.flag) == (0.2, None, None)
    assert result.dispersion == pytest.approx(31 / 15)
    assert result.results[2].score == pytest.approx(-math.sqrt(64 / 31))


@pytest.mark.parametrize(
    ("metric", "minimum", "scored"),
    [
        (AccrualMetric.numerator, 3, {"B", "D"}),
        (AccrualMetric.difference, 10, {"C", "D"}),
    ],
)
def test_accrual_on_the_numerator_or_the_difference(metric, minimum, scored):
    table = counts(("A", 2, 10), ("B", 5, 10), ("C", 1, 20), ("D", 12, 40))
    result = analyze(table, KriType.binary, Method.normal, NORMAL, Accrual(minimum, metric))
    assert {r.group for r in result.results if r.score is not None} == scored


def test_with_few_sites_the_analysis_says_no_flag_can_be_reached():
    """Σz² = k after the adjustment, so with 4 sites no |z| reaches 2 (RBM.md §2.2)."""
    table = counts(("A", 0, 10), ("B", 10, 10), ("C", 5, 10), ("D", 5, 10))
    result = analyze(table, KriType.binary, Method.normal, NORMAL)
    assert max(abs(r.score or 0) for r in result.results) < 2
    assert result.notes and "with 4 group(s)" in result.notes[0]
    assert all(r.note == result.notes[0] for r in result.results)
    assert max(abs(r.score or 0) for r in result.results) <= math.sqrt(4)


def test_a_proportion_of_zero_or_one_overall_scores_zero():
    for x in (0, 10):
        table = counts(("A", x, 10), ("B", 2 * x, 20))
        result = analyze(table, KriType.binary, Method.normal, NORMAL)
        assert [r.score for r in result.results] == [0.0, 0.0]


def test_a_zero_denominator_leaves_the_site_out_of_the_fit():
    """gsm's Transform_Rate drops a group whose metric is NaN or Inf."""
    table = counts(("A", 2, 10), ("B", 5, 10), ("C", 1, 20), ("D", 12, 40), ("E", 0, 0))
    result = analyze(table, KriType.binary, Method.normal, NORMAL)
    assert result.dispersion == pytest.approx(31 / 15)
    e = result.results[-1]
    assert (e.metric, e.score, e.flag) == (None, None, None)


def _deviance_residual(x: float, mu: float) -> float:
    term = x * math.log(x / mu) if x > 0 else 0.0
    return math.copysign(math.sqrt(2 * (term - (x - mu))), x - mu)


def test_poisson_deviance_residuals_match_the_closed_form_and_statsmodels():
    """An intercept-only Poisson GLM with offset log Tᵢ fits λ̂ = Σx/ΣT, μᵢ = λ̂Tᵢ; the deviance
    residual is sign(x − μ)·√(2[x·log(x/μ) − (x − μ)]) (McCullagh & Nelder §2.4)."""
    table = counts(
        ("A", 10, 1000), ("B", 30, 1000), ("C", 0, 500), ("D", 20, 2000), ("E", 35, 1500)
    )
    scores = poisson_scores(table)
    lam = 95 / 6000
    assert scores.overall == pytest.approx(lam)
    for c in table:
        assert scores.scores[c.group] == pytest.approx(
            _deviance_residual(c.numerator, lam * c.denominator)
        )
    x = np.array([c.numerator for c in table])
    t = np.array([c.denominator for c in table])
    direct = sm.GLM(x, np.ones((5, 1)), family=sm.families.Poisson(), offset=np.log(t)).fit()
    assert list(scores.scores.values()) == pytest.approx(list(direct.resid_deviance))


def test_poisson_flags_with_gsm_default_cut_points():
    """A site with 200 events where 15 are expected: residual ≈ 27, far beyond +7 (red)."""
    table = [GroupCount(f"S{i}", 15, 1000) for i in range(9)] + [GroupCount("X", 200, 1000)]
    result = analyze(table, KriType.rate, Method.poisson, thresholds_for(Method.poisson))
    assert result.results[-1].flag == 2
    assert result.results[-1].score > 7


def test_fisher_p_is_the_exact_hypergeometric_and_matches_scipy():
    """Site A 3/3 against the rest 0/3: the table [[3, 0], [0, 3]] has probability
    1/C(6,3) = 1/20 and so has its mirror [[0, 3], [3, 0]]: two-sided p = 2/20 = 0.1."""
    table = counts(("A", 3, 3), ("B", 0, 2), ("C", 0, 1))
    result = analyze(table, KriType.binary, Method.fisher, thresholds_for(Method.fisher))
    assert result.results[0].score == pytest.approx(0.1)
    for r in result.results:
        rest = [c for c in table if c.group != r.group]
        rx, rn = sum(c.numerator for c in rest), sum(c.denominator for c in rest)
        _, p = fisher_exact(
            [[r.numerator, r.denominator - r.numerator], [rx, rn - rx]], alternative="two-sided"
        )
        assert r.score == pytest.approx(p)


def test_fisher_flags_are_signed_by_the_direction_of_the_difference():
    high = [GroupCount(f"S{i}", 2, 40) for i in range(5)] + [GroupCount("HI", 20, 40)]
    low = [GroupCount(f"S{i}", 20, 40) for i in range(5)] + [GroupCount("LO", 0, 40)]
    fisher = thresholds_for(Method.fisher)
    assert analyze(high, KriType.binary, Method.fisher, fisher).results[-1].flag == 2
    assert analyze(low, KriType.binary, Method.fisher, fisher).results[-1].flag == -2


def test_identity_scores_the_metric_or_the_count():
    table = counts(("A", 1, 10), ("B", 3, 12))
    bands = Thresholds((1, 2), (0, 1, 2))
    by_metric = analyze(table, KriType.binary, Method.identity, bands)
    assert [r.score for r in by_metric.results] == [0.1, 0.25]
    by_count = analyze(table, KriType.binary, Method.identity, bands, identity_of="numerator")
    assert [r.flag for r in by_count.results] == [1, 2]


@pytest.mark.parametrize(
    ("table", "kri_type", "method", "field"),
    [
        (counts(("A", -1, 10)), KriType.rate, Method.normal, "numerator"),
        (counts(("A", 1, -10)), KriType.rate, Method.normal, "denominator"),
        (counts(("A", 11, 10)), KriType.binary, Method.normal, "numerator"),
        (counts(("A", 1, 10), ("A", 2, 10)), KriType.binary, Method.normal, "group"),
        (counts(("A", 1, 10)), KriType.binary, Method.poisson, "method"),
        (counts(("A", 1, 10)), KriType.rate, Method.fisher, "method"),
        (counts(("A", 1.5, 10)), KriType.binary, Method.fisher, "numerator"),
    ],
)
def test_what_no_method_can_score_is_refused_by_name(table, kri_type, method, field):
    with pytest.raises(InvalidInput) as caught:
        analyze(table, kri_type, method, NORMAL)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Thresholds((3, 2), (0, 1, 2)), "thresholds"),
        (lambda: Thresholds((2, 3), (0, 1)), "flags"),
        (lambda: Thresholds((2, 3), (0, 1, 5)), "flags"),
        (lambda: thresholds_for(Method.identity), "thresholds"),
        (lambda: thresholds_for(Method.normal, (1, 2, 3)), "flags"),
        (lambda: Accrual(-1), "min_denominator"),
    ],
)
def test_bad_thresholds_are_refused_by_name(build, field):
    with pytest.raises(InvalidInput) as caught:
        build()
    assert caught.value.field == field


def test_the_funnel_bound_matches_the_hand_worked_table():
    """The four-site table above: p̂ = 1/4, φ = 31/15. At n = 10 the +2 line is
    1/4 + 2·√(31/15 · 3/16 / 10) = 0.25 + 2·√0.03875 = 0.64370; the −2 line 0.25 − 0.39370
    is negative and so left out of the drawn line (gsm keeps only positive bounds)."""
    assert bound_at(0.25, 31 / 15, 10, 2, KriType.binary) == pytest.approx(0.643700, abs=1e-6)
    table = counts(("A", 2, 10), ("B", 5, 10), ("C", 1, 20), ("D", 12, 40))
    lines = normal_bounds(table, KriType.binary, NORMAL)
    assert sorted(lines) == [-3.0, -2.0, 0.0, 2.0, 3.0]
    assert all(m == pytest.approx(0.25) for _, m in lines[0.0])
    xs = [n for n, _ in lines[2.0]]
    assert xs[0] < 10 and xs[-1] > 40
    assert all(m >= 0 for line in lines.values() for _, m in line)
    # 0.25 − 2·√(0.3875/n) ≥ 0 from n = 0.3875/0.015625 = 24.8: below it the −2 line is gone
    assert 24.8 <= min(n for n, _ in lines[-2.0]) < 25.0
