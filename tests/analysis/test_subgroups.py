"""Subgroup hazard ratios for the forest plot."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from msctrial.analysis.subgroups import subgroup_hazard_ratios


def endpoints(n: int = 120, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    arm = np.where(np.arange(n) % 2 == 0, "MSC", "placebo")
    time = rng.exponential(np.where(arm == "MSC", 8.0, 14.0))
    return pd.DataFrame({
        "arm": arm,
        "severity": np.where(np.arange(n) % 3 == 0, "critical", "severe"),
        "site": np.where(np.arange(n) < 100, "WUH", "KMG"),
        "year_of_birth": rng.integers(1945, 2000, n),
        "ttci_days": np.minimum(time, 28.0),
        "ttci_improved": (time < 28).astype(int),
    })  # fmt: skip


def test_every_level_of_every_subgroup_has_a_row_and_overall_comes_first():
    table = subgroup_hazard_ratios(endpoints(), year=2020, reference="placebo")
    assert table.iloc[0][["subgroup", "level", "n"]].tolist() == ["overall", "all", 120]
    assert set(zip(table["subgroup"], table["level"], strict=True)) >= {
        ("severity", "critical"), ("severity", "severe"), ("age", "60 or over"),
        ("age", "under 60"), ("site", "KMG"), ("site", "WUH"),
    }  # fmt: skip
    overall = table.iloc[0]
    assert overall["ci_low"] < overall["hazard_ratio"] < overall["ci_high"]
    assert overall["hazard_ratio"] > 1  # MSC improves faster


def test_a_subgroup_with_one_arm_only_has_no_estimate():
    data = endpoints()
    data.loc[data["site"] == "KMG", "arm"] = "MSC"
    table = subgroup_hazard_ratios(data, year=2020, reference="placebo")
    kmg = table[(table["subgroup"] == "site") & (table["level"] == "KMG")].iloc[0]
    assert kmg["n"] == 20 and math.isnan(kmg["hazard_ratio"])
