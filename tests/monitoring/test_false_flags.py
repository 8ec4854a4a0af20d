"""How often gsm's normal approximation flags a site of a fault-free trial, and whether it
finds a faulty one: seeded, bounded simulations of site counts (no database)."""

from __future__ import annotations

import numpy as np

from msctrial.monitoring.methods import analyze
from msctrial.monitoring.model import GroupCount, KriType, Method, Thresholds

HIGH_SIDE = Thresholds((2.0, 3.0), (0, 1, 2))  # gsm's LB, SDSC, QRY, ODAT …
AE_BANDS = Thresholds((-2.0, -1.0, 2.0, 3.0), (-2, -1, 0, 1, 2))  # gsm kri0001


def _trial(
    rng: np.random.Generator, sites: int = 20, fault: float | None = None
) -> list[GroupCount]:
    """Sites of 10-60 subjects, 15 % discontinuing; a faulty last site at ``fault``."""
    out = []
    for i in range(sites):
        n = int(rng.integers(10, 61))
        p = fault if fault is not None and i == sites - 1 else 0.15
        out.append(GroupCount(f"S{i + 1:02d}", float(rng.binomial(n, p)), float(n)))
    return out


def test_a_fault_free_trial_flags_few_sites():
    """200 trials of 20 sites: under the null the adjusted z is about standard normal, so
    about 2.3 % of sites reach z ≥ 2 (amber or red). The bound 5 % leaves room for the
    discreteness of small sites; fewer than 1 % reach red (z ≥ 3, 0.13 % expected)."""
    rng = np.random.default_rng(20201103)
    flags = []
    for _ in range(200):
        result = analyze(_trial(rng), KriType.binary, Method.normal, HIGH_SIDE)
        flags += [r.flag for r in result.results]
    amber_or_red = sum(1 for f in flags if f and f >= 1) / len(flags)
    red = sum(1 for f in flags if f == 2) / len(flags)
    assert amber_or_red < 0.05, amber_or_red
    assert red < 0.01, red


def test_a_site_discontinuing_three_times_as_often_is_flagged_in_most_trials():
    rng = np.random.default_rng(7)
    found = 0
    for _ in range(100):
        result = analyze(_trial(rng, fault=0.45), KriType.binary, Method.normal, HIGH_SIDE)
        found += (result.results[-1].flag or 0) >= 1
    assert found >= 80, found


def test_under_reporting_adverse_events_is_a_low_flag():
    """A site reporting a quarter of the AE rate (per subject-day) gets a negative flag,
    which gsm weighs most in the site risk score (32 at −2)."""
    rng = np.random.default_rng(11)
    low = 0
    for _ in range(100):
        counts = []
        for i in range(20):
            days = float(rng.integers(300, 1500))
            rate = 0.02 if i == 19 else 0.08
            counts.append(GroupCount(f"S{i + 1:02d}", float(rng.poisson(rate * days)), days))
        result = analyze(counts, KriType.rate, Method.normal, AE_BANDS)
        low += (result.results[-1].flag or 0) <= -1
    assert low >= 80, low
