"""The WHO ICTRP COVID-19 export of 7 July 2020 in ../shared/registry/ictrp/ (never copied
here): it loads whole, its ChiCTR MSC trials are found with the cancelled ones apart, and the
landscape at the seed's dates is stable, each difference from the seed explained in the
README's registry section."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from msctrial.registry.census import census
from msctrial.registry.design import extract_design
from msctrial.registry.reader import read_studies
from msctrial.registry.seed_landscape import compare

pytestmark = pytest.mark.shared

CHICTR_MSC = {
    "ChiCTR2000029569", "ChiCTR2000029580", "ChiCTR2000029606", "ChiCTR2000029990",
    "ChiCTR2000030020", "ChiCTR2000030088", "ChiCTR2000030116", "ChiCTR2000030138",
    "ChiCTR2000030173", "ChiCTR2000030261", "ChiCTR2000030484", "ChiCTR2000030835",
    "ChiCTR2000030866", "ChiCTR2000030944", "ChiCTR2000031319", "ChiCTR2000031430",
    "ChiCTR2000031494",
}  # fmt: skip
CANCELLED = {"ChiCTR2000029816", "ChiCTR2000029817", "ChiCTR2000030224", "ChiCTR2000030300"}


@pytest.fixture(scope="module")
def export(shared: Path) -> list:
    path = shared / "registry" / "ictrp" / "COVID19-web_7Jul2020.xlsx"
    return list(read_studies([path]))


@pytest.fixture(scope="module")
def msc(export) -> list:
    return [
        (i.study, d)
        for i in export
        if i.study and (d := extract_design(i.study).design).is_msc_trial
    ]


def test_the_export_loads_whole_with_every_register(export):
    assert [i.problem for i in export if i.problem] == []
    studies = [i.study for i in export if i.study]
    assert len(studies) == 4098
    registries = {s.registry for s in studies}
    assert len(registries) == 18 and {"ChiCTR", "IRCT", "EU Clinical Trials Register", "CTRI",
                                      "German Clinical Trials Register", "JPRN"} <= registries  # fmt: skip
    assert sum(1 for s in studies if s.registry == "ChiCTR") == 733
    assert all(s.registered_on for s in studies)  # Date registration3, YYYYMMDD throughout


def test_the_chictr_msc_trials_are_found_and_the_cancelled_kept_apart(msc):
    chictr = {s.trial_id: s for s, _ in msc if s.registry == "ChiCTR"}
    assert set(chictr) == CHICTR_MSC | CANCELLED
    assert {t for t, s in chictr.items() if s.cancelled} == CANCELLED
    c = census(msc, dt.date(2020, 7, 5), ["ChiCTR"])
    assert {t.study.trial_id for t in c.counted} == CHICTR_MSC
    assert c.counts()["cancelled"] == 4


def test_the_seed_calls_out_combinations_and_nebulised_exosomes_and_both_are_read(msc):
    d = {s.trial_id: design for s, design in msc}
    assert d["ChiCTR2000029580"].combined_with == ["ruxolitinib"]
    assert d["ChiCTR2000030944"].combined_with == ["NK cells"]
    assert d["ChiCTR2000029817"].combined_with == ["NK cells"]
    assert (d["ChiCTR2000030261"].product_type, d["ChiCTR2000030261"].route) == (
        "extracellular_vesicles", "inhalation",
    )  # fmt: skip
    assert d["NCT04276987"].route == "inhalation"


def test_the_landscape_at_the_seeds_dates_is_stable(msc):
    lines, ct, cn = compare(msc)
    got = {(x.registry, x.what): x.platform for x in lines}
    assert got == {
        ("ClinicalTrials.gov", "MSC trials"): 46,
        ("ClinicalTrials.gov", "run from China"): 11,
        ("ClinicalTrials.gov", "run from elsewhere"): 26,
        ("ChiCTR", "projects"): 17,
        ("ChiCTR", "recruiting"): 9,
    }
    china = next(x for x in lines if x.what == "run from China")
    assert china.missing == [] and china.extra == ["NCT04276987", "NCT04346368"]


def test_a_trial_registered_twice_is_counted_once(shared, msc):
    """The spreadsheet carries no secondary ids, but the ClinicalTrials.gov record of
    NCT04366063 names IRCT20200217046526N2: loaded together they are one trial, listed under
    its first registration (IRCT, 2020-04-13), and NCT04366063's ICTRP row merges too."""
    records = shared / "registry" / "ctgov"
    ct = [
        (i.study, extract_design(i.study).design)
        for i in read_studies([records / "NCT04366063.json", records / "NCT04252118.json"])
        if i.study
    ]
    c = census(msc + ct, dt.date(2020, 7, 8))
    ids = [t.study.trial_id for t in c.trials]
    assert len(ids) == len(set(ids)) and "NCT04366063" not in ids
    merged = next(t for t in c.trials if t.study.trial_id == "IRCT20200217046526N2")
    assert merged.evidence["same_trial_as"].text == "NCT04366063"
    # NCT04252118 read from its own record and from ICTRP's row: one trial, the fuller record
    one = next(t for t in c.trials if t.study.trial_id == "NCT04252118")
    assert one.study.source_format == "legacy_full_studies"
    assert c.counts()["duplicates_merged"] == 1
