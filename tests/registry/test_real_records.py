"""The real ClinicalTrials.gov records in ../shared/registry/ctgov/ (never copied here).

The nine trials of the seed's Table 1 are checked field by field against what their records
say, with the evidence for each value; every other record must read without a crash, be
classified MSC or not correctly, and have every extracted dose found again in its evidence.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from msctrial.registry.dosetext import quantities
from msctrial.registry.model import ExtractedDesign
from msctrial.registry.survey import survey
from msctrial.registry.table1 import compare_seed

pytestmark = pytest.mark.shared

CHINA = ["China"]
# nct: (source, donor, dose, unit, administrations, days, interval, route, phases, enrolment,
#       countries, primary outcome categories, deviations, {field: text the evidence must quote})
TABLE1 = {
    "NCT04288102": ("umbilical_cord", None, 4e7, "cells", 3, [0, 3, 6], 3, "intravenous", ["PHASE2"], 100, CHINA,
                    ["lung_imaging"], {"dose_per_kg_low"},
                    {"dose_value": "4.0*10E7 cells per time", "schedule_days": "Day 0, Day 3, Day 6", "cell_source": "UC-MSCs"}),
    "NCT04336254": ("dental_pulp", "allogeneic", 3e7, "cells", 3, [1, 4, 7], 3, "intravenous", ["PHASE1", "PHASE2"], 20, CHINA,
                    ["time_to_clinical_improvement"], {"dose_per_kg_low"},
                    {"dose_value": "3.0x10e7", "schedule_days": "day 1, day 4 and day 7", "donor": "allogeneic human dental pulp"}),
    "NCT04252118": ("unspecified", None, 3e7, "cells", 3, [0, 3, 6], 3, "intravenous", ["PHASE1"], 20, CHINA,
                    ["lung_imaging", "adverse_events"], {"dose_per_kg_low"},
                    {"dose_value": "3.0*10E7 MSCs", "administrations": "3 times of MSCs"}),
    "NCT04302519": ("dental_pulp", None, 1e6, "cells/kg", 3, [1, 3, 7], 2, "intravenous", ["EARLY_PHASE1"], 24, [],
                    ["lung_imaging"], {"interval_short"},
                    {"dose_value": "Injection dose: 1.0x106 cells /kg.", "schedule_days": "day 1, 3 and 7", "route": "injected intravenously"}),
    "NCT04339660": ("umbilical_cord", None, 1e6, "cells/kg", 2, [0, 7], 7, None, ["PHASE1", "PHASE2"], 30, CHINA,
                    ["inflammatory_factors", "spo2"], set(),
                    {"dose_value": "1*10E6 UC-MSCs /kg", "schedule_days": "given again at an interval of 1 week"}),
    "NCT04273646": ("umbilical_cord", None, 0.5e6, "cells/kg", 4, [1, 3, 5, 7], 2, "intravenous", ["NA"], 48, CHINA,
                    [None, "oxygenation_index"], {"too_many_infusions", "dose_per_kg_low", "interval_short"},
                    {"dose_value": "0.5*10E6 UC-MSCs/kg", "administrations": "4 times"}),
    "NCT04269525": ("umbilical_cord", None, 9.9e7, "cells", 4, [1, 3, 5, 7], 2, "intravenous", ["PHASE2"], 16, CHINA,
                    ["oxygenation_index"], {"too_many_infusions", "interval_short"},
                    {"dose_value": "3.3 * 107 cell number / 50ml / bag, 3 bags each time", "schedule_days": "day 1, day 3, day 5, and day 7"}),
    "NCT04371601": ("umbilical_cord", None, 1e6, "cells/kg", 4, [0, 4, 8, 12], 4, "intravenous", ["EARLY_PHASE1"], 60, CHINA,
                    ["oxygenation_index"], {"too_many_infusions"},
                    {"dose_value": "106/Kg body weight", "schedule_days": "once every 4 days for a total of 4 times"}),
    "NCT04293692": ("umbilical_cord", None, 0.5e6, "cells/kg", 4, [1, 3, 5, 7], 2, "intravenous", ["NA"], 0, CHINA,
                    ["lung_imaging", "spo2"], {"too_many_infusions", "dose_per_kg_low", "interval_short"},
                    {"dose_value": "0.5*10E6 UC-MSCs /kg", "schedule_days": "Day1, Day3, Day5, Day7"}),
}  # fmt: skip
# The COVID-19 records collected through MSC search terms whose arms give no MSC product:
# other cells (cardiosphere-derived, NK, T cells), other vesicles (CD24, T-cell exosomes,
# amniotic Zofin), a vaccine, drugs, and two observational studies.
NOT_MSC = {
    "NCT04338347", "NCT04363346", "NCT04384445", "NCT04389385", "NCT04397471", "NCT04623671",
    "NCT04657406", "NCT04747574", "NCT04809389", "NCT04902183", "NCT04969172", "NCT05002517",
    "NCT05101213", "NCT05191381", "NCT02513394",
}  # fmt: skip


@pytest.fixture(scope="module")
def ctgov(shared: Path) -> Path:
    return shared / "registry" / "ctgov"


@pytest.fixture(scope="module")
def designs(ctgov: Path) -> dict[str, ExtractedDesign]:
    paths = sorted(ctgov.glob("NCT*.json")) + sorted((ctgov / "extra_msc_covid").glob("*.json"))
    paths += [ctgov / "format_examples" / "api_v2_json", ctgov / "format_examples" / "classic_xml"]
    return {
        f"{s.study.trial_id}:{s.study.source_format}": s.extraction.design for s in survey(paths)
    }


def _one(designs: dict[str, ExtractedDesign], nct: str) -> ExtractedDesign:
    return designs[f"{nct}:legacy_full_studies"]


@pytest.mark.parametrize("nct", list(TABLE1))
def test_each_table1_trial_is_read_right_field_by_field_with_its_evidence(designs, nct):
    (source, donor, dose, unit, n, days, interval, route, phases, enrolment, countries,
     outcomes, deviations, quotes) = TABLE1[nct]  # fmt: skip
    d = _one(designs, nct)
    assert d.is_msc_trial and d.product_type == "cells"
    assert (d.cell_source, d.donor) == (source, donor)
    assert d.dose_value == pytest.approx(dose) and d.dose_unit == unit and len(d.dose_levels) == 1
    assert (d.administrations, d.schedule_days, d.min_interval_days, d.route) == (
        n,
        days,
        interval,
        route,
    )
    assert [p.value for p in d.phases] == phases
    assert (d.enrollment, d.countries) == (enrolment, countries)
    assert [o.category for o in d.primary_outcomes] == outcomes
    assert {f.rule for f in d.findings if f.level == "deviation"} == deviations
    for field, text in quotes.items():
        assert text in d.evidence[field].text, (field, d.evidence[field])
    for field in (
        "dose_value",
        "administrations",
        "schedule_days",
        "min_interval_days",
        "phases",
        "enrollment",
    ):
        assert field in d.evidence, field
    if route:
        assert "route" in d.evidence
    else:
        assert "route" not in d.evidence  # not stated for the MSC arm, so not guessed


def test_the_seed_table1_differs_from_the_records_where_the_records_say_otherwise(designs):
    differences = {
        (x.trial, x.field): (x.seed, x.record)
        for nct in TABLE1
        for x in compare_seed(_one(designs, nct))
    }
    assert differences == {
        ("NCT04288102", "cell_source"): ("unspecified", "umbilical_cord"),
        ("NCT04288102", "primary_outcomes"): ("lung_imaging, pulmonary_fibrosis", "lung_imaging"),
        ("NCT04252118", "dose"): ("4×10^7 cells", "3×10^7 cells"),
        ("NCT04339660", "route"): ("intravenous", "not stated"),
        ("NCT04269525", "primary_outcomes"): ("mortality, oxygenation_index", "oxygenation_index"),
        ("NCT04371601", "dose"): ("1×10^7 cells/kg", "1×10^6 cells/kg"),  # "106/Kg" is 10^6/kg
        ("NCT04293692", "primary_outcomes"): (
            "lung_imaging, mortality, spo2",
            "lung_imaging, spo2",
        ),
    }


def test_every_real_record_is_read_and_classified_msc_or_not(designs):
    assert len(designs) == 22 + 87 + 2
    for key, d in designs.items():
        nct = key.split(":")[0]
        assert d.is_msc_trial is (nct not in NOT_MSC), nct
        if not d.is_msc_trial:
            assert d.findings == [] and d.dose_levels == []


def test_every_extracted_dose_is_found_again_in_its_evidence(designs):
    checked = 0
    for d in designs.values():
        if not d.dose_levels:
            continue
        evidence = d.evidence["dose_value" if len(d.dose_levels) == 1 else "dose_levels"]
        found = quantities(evidence.text)
        for level in d.dose_levels:
            assert any(
                q.value == pytest.approx(level.value) and q.unit == level.unit for q in found
            ), (d.trial_id, level, evidence)
            checked += 1
    assert checked >= 60


def test_every_extracted_value_names_where_in_the_record_it_was_read(designs):
    for d in designs.values():
        for field, ev in d.evidence.items():
            assert ev.text.strip() and ev.source, (d.trial_id, field)


def test_the_api_v2_and_classic_xml_examples_read_as_the_same_trial(designs):
    v2, xml = designs["NCT02513394:api_v2"], designs["NCT02513394:classic_xml"]
    assert v2.phases == xml.phases and [p.value for p in v2.phases] == ["PHASE3"]
    assert not v2.is_msc_trial and not xml.is_msc_trial
    assert len(v2.countries) > 10 and set(xml.countries) <= set(v2.countries) | {
        "Korea, Republic of"
    }


def test_study_fields_and_search_result_files_are_reported_not_read(ctgov):
    problems = []
    found = list(
        survey([ctgov / "NCT04331613.tsv", ctgov / "study_fields_2022-10"], problems=problems)
    )
    assert found == []
    assert len(problems) == 1 + 22 + 88
    assert all(p.reason for p in problems)
