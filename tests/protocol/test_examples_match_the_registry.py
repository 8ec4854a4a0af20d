"""The Table 1 example protocols agree with the ClinicalTrials.gov records in ../shared/registry
on what a record states plainly: phase, allocation, masking and the age range."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from msctrial.protocol.loader import load_protocol
from msctrial.protocol.model import Allocation, Masking, Phase

pytestmark = pytest.mark.shared

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "protocols"
TRIALS = sorted(p.stem for p in EXAMPLES.glob("NCT*.yaml"))
ALLOCATION = {
    "Randomized": Allocation.randomised,
    "Non-Randomized": Allocation.non_randomised,
    "N/A": Allocation.single_arm,  # ClinicalTrials.gov's allocation of a single-group study
}
PHASE = {
    "Early Phase 1": Phase.EARLY_PHASE1,
    "Phase 1": Phase.PHASE1,
    "Phase 2": Phase.PHASE2,
    "Phase 3": Phase.PHASE3,
    "Not Applicable": Phase.NA,
}


@pytest.mark.parametrize("trial", TRIALS)
def test_an_example_agrees_with_its_registry_record(shared, trial):
    record = json.loads((shared / "registry" / "ctgov" / f"{trial}.json").read_text())
    section = record["ProtocolSection"]
    design = section["DesignModule"]
    info = design["DesignInfo"]
    eligibility = section["EligibilityModule"]
    protocol = load_protocol(EXAMPLES / f"{trial}.yaml")

    assert protocol.registry_ids == [trial]
    assert protocol.phase == [PHASE[p] for p in design["PhaseList"]["Phase"]]
    assert protocol.design.allocation is ALLOCATION[info["DesignAllocation"]]
    masking = info["DesignMaskingInfo"]["DesignMasking"].split()[0].lower()
    assert protocol.design.masking is Masking(masking)
    assert protocol.eligibility.age.min == int(eligibility["MinimumAge"].split()[0])
    assert protocol.eligibility.age.max == int(eligibility["MaximumAge"].split()[0])
