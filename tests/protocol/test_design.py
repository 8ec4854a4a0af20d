"""Sample size, power and group-sequential bounds, against published tables."""

from __future__ import annotations

import pytest

from msctrial.core.errors import InvalidInput
from msctrial.protocol.design import (
    Spending,
    classic_bounds,
    efficacy_bounds,
    events_survival,
    power_means,
    power_proportions,
    power_survival,
    sample_size_means,
    sample_size_proportions,
    spent_alpha,
)


@pytest.mark.parametrize(
    ("p1", "p2", "per_arm"), [(0.25, 0.15, 248), (0.30, 0.15, 118), (0.40, 0.20, 79)]
)
def test_two_proportions_give_the_worked_examples_of_the_fact_sheet(p1, p2, per_arm):
    """CLINICAL_FACTS §8.2 (28-day mortality, alpha 0.05 two-sided, power 80%, no continuity
    correction): 25%→15% 248/arm, 30%→15% 118/arm, 40%→20% 79/arm."""
    size = sample_size_proportions(p1, p2)
    assert (size.n_per_arm, size.n_total) == (per_arm, 2 * per_arm)


def test_the_continuity_correction_is_fleiss_on_the_unpooled_size():
    """Fleiss' correction n' = n/4 (1 + sqrt(1 + 4 / (n |p1 - p2|)))^2 (Fleiss, Levin & Paik,
    *Statistical Methods for Rates and Proportions*, 3rd ed. 2003, §4.2), worked by hand for
    40% against 20%: n = 7.849 × 0.40 / 0.04 = 78.5, n' = 19.62 × 2.1202^2 = 88.2 → 89 per arm.
    (Fleiss' own Table A.4 starts from the pooled-variance formula, so it is not comparable.)"""
    assert sample_size_proportions(0.40, 0.20).n_per_arm == 79
    assert sample_size_proportions(0.40, 0.20, continuity=True).n_per_arm == 89


def test_two_means_give_the_normal_approximation_for_half_a_standard_deviation():
    """n per arm = 2 (1.95996 + 0.84162)^2 / 0.5^2 = 62.8 → 63 (the normal approximation;
    Cohen 1988, Table 2.4.1, prints 64 for d = 0.5 because it uses the t distribution)."""
    assert sample_size_means(5.0, 10.0).n_per_arm == 63
    assert power_means(5.0, 10.0, 63) == pytest.approx(0.80, abs=0.005)


@pytest.mark.parametrize(("hazard_ratio", "events"), [(1.5, 191), (1.33, 387), (1.24, 679)])
def test_schoenfeld_events_match_the_fact_sheet(hazard_ratio, events):
    """CLINICAL_FACTS §8.2: d = 4 (z + z)^2 / (ln HR)^2 with 1:1 allocation: HR 1.5 191 events,
    1.33 387, 1.24 (Cao's observed) 679."""
    assert events_survival(hazard_ratio).events == events
    assert events_survival(1 / hazard_ratio).events == events


def test_subjects_follow_from_the_events_and_their_probability():
    assert events_survival(1.5, event_probability=0.75).to_dict() == {"events": 191, "n_total": 255}


def test_unequal_allocation_needs_more_events_and_subjects():
    """2:1 allocation (as Shi et al. 2021): Schoenfeld's factor (1 + k)^2 / k = 4.5 against 4."""
    assert events_survival(1.5, ratio=2).events == pytest.approx(191 * 4.5 / 4, abs=1)
    size = sample_size_proportions(0.25, 0.15, ratio=2)
    assert size.n_other_arm == pytest.approx(2 * size.n_per_arm, abs=1)


def test_the_power_at_the_planned_size_reaches_the_planned_power():
    assert power_proportions(0.25, 0.15, 248) == pytest.approx(0.80, abs=0.005)
    assert power_proportions(0.25, 0.15, 100) < 0.5
    assert power_survival(1.5, 191) == pytest.approx(0.80, abs=0.005)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: sample_size_proportions(0.2, 0.2), "p2"),
        (lambda: sample_size_proportions(1.2, 0.2), "p1"),
        (lambda: sample_size_means(1, 0), "sd"),
        (lambda: events_survival(1.0), "hazard_ratio"),
        (lambda: sample_size_means(1, 1, power=1.5), "power"),
        (lambda: efficacy_bounds([0.5, 0.4, 1]), "looks"),
        (lambda: efficacy_bounds([0.5]), "looks"),
    ],
)
def test_an_impossible_design_is_refused_naming_the_field(call, field):
    with pytest.raises(InvalidInput) as caught:
        call()
    assert caught.value.field == field


def test_lan_demets_obrien_fleming_bounds_for_two_looks_match_gsdesign():
    """gsDesign(k = 2, test.type = 1, alpha = 0.025, sfu = sfLDOF, timing = c(0.5, 1)) and
    rpact getDesignGroupSequential(kMax = 2, alpha = 0.025, typeOfDesign = "asOF"): upper bounds
    z = 2.963 and 1.969 (Lan & DeMets 1983; tabulated in Jennison & Turnbull 2000, §7.2)."""
    bounds = efficacy_bounds([0.5, 1.0])
    assert [round(look.z, 3) for look in bounds.looks] == [2.963, 1.969]
    assert bounds.looks[0].cumulative_alpha == pytest.approx(0.0015, abs=5e-5)
    assert bounds.looks[-1].cumulative_alpha == pytest.approx(0.025)


def test_lan_demets_pocock_bounds_for_two_looks_match_gsdesign():
    """gsDesign sfu = sfLDPocock (rpact "asP"), k = 2, one-sided 0.025, timing 0.5, 1:
    z = 2.157 and 2.201."""
    bounds = efficacy_bounds([0.5, 1.0], spending=Spending.pocock)
    assert [round(look.z, 3) for look in bounds.looks] == [2.157, 2.201]


def test_five_equally_spaced_obrien_fleming_spending_looks_match_gsdesign():
    """gsDesign(k = 5, test.type = 1, alpha = 0.025, sfu = sfLDOF): 4.877, 3.357, 2.680, 2.290,
    2.031 (the gsDesign manual's default design's upper bounds)."""
    bounds = efficacy_bounds([0.2, 0.4, 0.6, 0.8, 1.0])
    assert [round(look.z, 3) for look in bounds.looks] == [4.877, 3.357, 2.680, 2.290, 2.031]


@pytest.mark.parametrize(
    ("spending", "expected"),
    [(Spending.obrien_fleming, [2.797, 1.977]), (Spending.pocock, [2.178, 2.178])],
)
def test_classic_designs_match_jennison_and_turnbulls_constants(spending, expected):
    """Jennison & Turnbull, *Group Sequential Methods* (2000), Tables 2.1 and 2.3, K = 2,
    alpha = 0.05 two-sided (0.025 each side): Pocock C_P = 2.178; O'Brien-Fleming C_B = 1.977,
    so 1.977 × sqrt(2) = 2.797 at the half-way look."""
    bounds = classic_bounds([0.5, 1.0], spending=spending)
    assert [round(look.z, 3) for look in bounds.looks] == expected


def test_spending_functions_spend_all_alpha_at_the_end_and_little_early():
    for spending in Spending:
        assert spent_alpha(1.0, 0.025, spending) == pytest.approx(0.025)
    assert spent_alpha(0.25, 0.025, Spending.obrien_fleming) < 1e-4
