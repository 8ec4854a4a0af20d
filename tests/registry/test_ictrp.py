"""The WHO ICTRP exports and ChiCTR's own XML: every register read, every quirk handled, a trial
on two registers counted once, the landscape at a date, and Chinese text extracted."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from msctrial.cli.main import main
from msctrial.protocol.terms import Phase
from msctrial.registry.census import census
from msctrial.registry.design import extract_design
from msctrial.registry.ictrp_values import (
    clean_text,
    parse_date,
    parse_phase,
    parse_status,
    parse_target_size,
)
from msctrial.registry.reader import read_studies
from tests.registry.ictrp_records import (
    CHICTR_XML,
    csv_text,
    msc_rows,
    row,
    write_xlsx,
    xml_text,
)

P = Phase


@pytest.mark.parametrize(
    ("cell", "iso"),
    [
        (dt.datetime(2020, 2, 18), "2020-02-18"),
        (20200218, "2020-02-18"),
        ("20200218", "2020-02-18"),
        ("18/02/2020", "2020-02-18"),  # ICTRP's day-first form
        ("05/04/2020", "2020-04-05"),
        ("2020-02-18", "2020-02-18"),
        ("February 18, 2020", "2020-02-18"),
        ("18 February 2020", "2020-02-18"),
        ("31/02/2020", None),
        ("soon", None),
        (None, None),
    ],
)
def test_every_way_ictrp_writes_a_date_is_read(cell, iso):
    assert parse_date(cell) == iso


@pytest.mark.parametrize(
    ("cell", "phases"),
    [
        (0, [P.EARLY_PHASE1]),  # ChiCTR's phase 0: ClinicalTrials.gov's "Early Phase 1"
        (3, [P.PHASE3]),
        (dt.datetime(2020, 2, 1), [P.PHASE1, P.PHASE2]),  # "1-2" read as 1 February
        (dt.datetime(2020, 3, 2), [P.PHASE2, P.PHASE3]),
        ("Phase 2/ Phase 3", [P.PHASE2, P.PHASE3]),
        ("Phase II", [P.PHASE2]),
        ("Phase 1 / Phase 2", [P.PHASE1, P.PHASE2]),
        ("Early Phase 1", [P.EARLY_PHASE1]),
        ("N/A", [P.NA]),
        ("Not Applicable", [P.NA]),
        ("Retrospective study", []),
        ("New Treatment Measure Clinical Study", []),
        ("Not selected", []),
        (
            "Human pharmacology (Phase I): yes\nTherapeutic exploratory (Phase II): yes\n"
            "Therapeutic confirmatory - (Phase III): no\nTherapeutic use (Phase IV): no\n",
            [P.PHASE1, P.PHASE2],
        ),
        (None, []),
    ],
)
def test_every_way_ictrp_writes_a_phase_is_read(cell, phases):
    assert parse_phase(cell) == phases


def test_a_chictr_target_size_per_group_is_summed_and_kept_per_group():
    assert parse_target_size("Experimental group:30;Control group:30;") == (
        60,
        {"Experimental group": 30, "Control group": 30},
    )
    assert parse_target_size(40) == (40, {})
    assert parse_target_size("Target condition:200;Difficult condition:0")[0] == 200


def test_markup_escapes_and_mac_roman_mojibake_are_cleaned():
    assert clean_text("1. Aged 18-75;_x000D_<br>2. Severe.") == "1. Aged 18-75;\n2. Severe."
    assert clean_text("allogeneic cells (MSV¬Æ)") == "allogeneic cells (MSV®)"
    assert clean_text("5 √ó 10E7 cells") == "5 × 10E7 cells"
    assert clean_text("Bego√±a") == "Begoña"
    assert parse_status("Not Recruiting") == parse_status("Not recruiting") == "NOT_RECRUITING"


def _studies(path: Path) -> dict:
    items = list(read_studies([path]))
    assert not [i.problem for i in items if i.problem], [i.problem for i in items]
    return {i.study.trial_id: i.study for i in items if i.study}


@pytest.fixture
def exports(tmp_path: Path) -> dict[str, Path]:
    rows = msc_rows()
    (tmp_path / "export.csv").write_text(csv_text(rows), encoding="utf-8")
    (tmp_path / "export.xml").write_text(xml_text(rows), encoding="utf-8")
    return {
        "xlsx": write_xlsx(tmp_path / "COVID19-web.xlsx", rows),
        "csv": tmp_path / "export.csv",
        "xml": tmp_path / "export.xml",
    }


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "xml"])
def test_the_spreadsheet_csv_and_xml_exports_read_as_the_same_records(exports, fmt):
    studies = _studies(exports[fmt])
    assert len(studies) == 8
    s = studies["ChiCTR2000099901"]
    assert (s.registry, s.registered_on, s.enrollment, s.source_format) == (
        "ChiCTR", "2020-02-18", 60, f"ictrp_{fmt}",
    )  # fmt: skip
    assert s.stated["enrollment"].text == "Experimental group:30;Control group:30;"
    assert [a.label for a in s.arms] == ["Experimental group", "Control group"]
    assert s.eligibility_criteria.startswith("Inclusion criteria: 1. Aged 18-75;\n2.")
    assert studies["NCT09990001"].registered_on == "2020-04-05"  # 05/04/2020, day first
    assert studies["ChiCTR2000099902"].cancelled
    assert studies["ChiCTR2000099902"].brief_title == "Cord blood MSCs for COVID-19"
    eu = studies["EUCTR2020-009999-11-ES"]
    assert (eu.registry, eu.bridged, [p.value for p in eu.phases]) == (
        "EU Clinical Trials Register", "parent", ["PHASE1", "PHASE2"],
    )  # fmt: skip
    assert studies["NCT09990002"].linked_ids == ["EUCTR2020-009999-11"]
    assert {s.registry for s in studies.values()} == {
        "ChiCTR", "ClinicalTrials.gov", "EU Clinical Trials Register", "IRCT",
    }  # fmt: skip


def test_a_row_without_a_trial_id_is_named_with_its_row_and_field(tmp_path):
    path = write_xlsx(tmp_path / "x.xlsx", [row("ChiCTR2000099901"), row("")])
    items = list(read_studies([path]))
    bad = [i.problem for i in items if i.problem]
    assert len(bad) == 1 and bad[0].file.endswith("#row 3") and "TrialID" in bad[0].reason
    assert not bad[0].fatal and sum(1 for i in items if i.study) == 1


def test_a_file_that_is_not_an_export_is_one_fatal_error(tmp_path):
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    [item] = list(read_studies([tmp_path / "x.csv"]))
    assert item.problem.fatal and "TrialID" in item.problem.reason


def _designs(path: Path) -> dict:
    return {s.trial_id: (s, extract_design(s).design) for s in _studies(path).values()}


def test_a_chictr_row_is_extracted_from_its_intervention_text(exports):
    designs = _designs(exports["xlsx"])
    _, d = designs["ChiCTR2000099901"]
    assert d.is_msc_trial and d.cell_source == "umbilical_cord"
    assert (d.dose_value, d.dose_unit, d.schedule_days, d.route) == (
        1e6, "cells/kg", [1, 4, 7], "intravenous",
    )  # fmt: skip
    assert "Experimental group" not in d.evidence["dose_value"].text  # the group's own text
    assert d.evidence["dose_value"].source == 'ICTRP Intervention, group "Experimental group"'
    assert designs["IRCT20200101000001N1"][1].is_msc_trial is False


def test_combination_therapy_and_nebulised_exosomes_are_fields_of_the_design(exports):
    designs = _designs(exports["xlsx"])
    rux = designs["ChiCTR2000099903"][1]
    assert rux.combined_with == ["ruxolitinib"]
    assert "Ruxolitinib combined with mesenchymal stem cell" in rux.evidence["combined_with"].text
    exo = designs["ChiCTR2000099904"][1]
    assert (exo.product_type, exo.route) == ("extracellular_vesicles", "inhalation")
    assert "Aerosol inhalation" in exo.evidence["route"].text
    assert designs["ChiCTR2000099901"][1].combined_with == []


def test_a_trial_on_two_registers_is_counted_once_and_the_merge_is_said(exports):
    items = list(_designs(exports["csv"]).values())
    c = census(items, dt.date(2020, 7, 8))
    ids = [t.study.trial_id for t in c.trials]
    assert "EUCTR2020-009999-11-ES" in ids and "NCT09990002" not in ids
    merged = next(t for t in c.trials if t.study.trial_id == "EUCTR2020-009999-11-ES")
    assert merged.evidence["same_trial_as"].text == "NCT09990002"
    n = c.counts()
    assert n["duplicates_merged"] == 1 and n["cancelled"] == 1
    assert "ChiCTR2000099904" not in ids  # registered 2020-07-10, after the date
    assert n["trials"] == 4 and n["by_registry"] == {
        "ChiCTR": 2, "ClinicalTrials.gov": 1, "EU Clinical Trials Register": 1,
    }  # fmt: skip
    assert n["lead_site"] == {"china": 2, "elsewhere": 2, "not stated": 0}
    assert n["combination_therapy"] == 1
    assert census(items, dt.date(2020, 7, 8), ["chictr"]).counts()["trials"] == 2


TRIAL_KEYS = {
    "trial_id", "registry", "registered_on", "status", "cancelled", "countries", "product",
    "cell_source", "route", "combined_with", "evidence",
}  # fmt: skip


def test_landscape_json_has_exactly_the_contract_of_the_issue(exports, tmp_path, capsys):
    db = tmp_path / "store.db"
    assert main(["registry", "load", str(exports["xlsx"]), "--db", str(db)]) == 0
    capsys.readouterr()
    code = main(["registry", "landscape", "--db", str(db), "--as-of", "2020-07-08", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and set(data) == {"as_of", "counts", "trials"}
    assert data["as_of"] == "2020-07-08"
    assert all(set(t) == TRIAL_KEYS for t in data["trials"])
    cancelled = [t["trial_id"] for t in data["trials"] if t["cancelled"]]
    assert cancelled == ["ChiCTR2000099902"] and data["counts"]["cancelled"] == 1
    code = main(["registry", "landscape", "--db", str(db), "--registry", "ChiCTR"])
    out = capsys.readouterr().out
    assert code == 0 and out.startswith("3 MSC trials registered (any date) on ChiCTR")
    code = main(["registry", "landscape", "--db", str(db), "--as-of", "8 July"])
    assert code == 2 and "YYYY-MM-DD" in capsys.readouterr().err


def test_landscape_compare_seed_sets_the_seeds_counts_beside_the_stores(exports, tmp_path, capsys):
    db = tmp_path / "store.db"
    main(["registry", "load", str(exports["xlsx"]), "--db", str(db)])
    capsys.readouterr()
    assert main(["registry", "landscape", "--db", str(db), "--compare-seed"]) == 0
    out = capsys.readouterr().out
    assert "ChiCTR by 2020-07-05, projects: seed 15, platform 2 (differs)" in out
    assert "cancelled by the investigator, not counted: ChiCTR2000099902" in out
    assert "ClinicalTrials.gov by 2020-07-08, run from China: seed 9, platform 0" in out
    assert "named by the seed, not counted here: NCT04252118" in out


def test_report_as_of_draws_the_trials_registered_by_then(exports, tmp_path, capsys):
    db = tmp_path / "store.db"
    main(["registry", "load", str(exports["xlsx"]), "--db", str(db)])
    capsys.readouterr()
    code = main(["registry", "report", "--out", str(tmp_path / "r"), "--db", str(db),
                 "--as-of", "2020-03-01"])  # fmt: skip
    assert (
        code == 0
        and "landscape of 2 MSC trials registered by 2020-03-01" in capsys.readouterr().out
    )
    html = (tmp_path / "r" / "index.html").read_text()
    assert "ChiCTR2000099903" in html and "NCT09990001" not in html


@pytest.fixture
def chictr(tmp_path: Path) -> dict:
    path = tmp_path / "chictr.xml"
    path.write_text(CHICTR_XML, encoding="utf-8")
    return _designs(path)


def test_a_chictr_xml_record_is_extracted_from_its_chinese_fields(chictr):
    study, d = chictr["ChiCTR2000088801"]
    assert (study.source_format, study.registry, study.registered_on) == (
        "chictr_xml", "ChiCTR", "2020-02-24",
    )  # fmt: skip
    assert study.linked_ids == ["NCT09880001"] and study.enrollment == 40
    assert (d.cell_source, d.donor) == ("dental_pulp", "allogeneic")
    assert (d.dose_value, d.dose_unit) == (1e6, "cells/kg")
    assert (d.administrations, d.schedule_days, d.min_interval_days, d.route) == (
        3, [1, 4, 7], 3, "intravenous",
    )  # fmt: skip
    assert "每公斤体重1×10^6个细胞" in d.evidence["dose_value"].text
    assert "第1、4、7天" in d.evidence["schedule_days"].text
    assert "静脉输注" in d.evidence["route"].text


def test_nebulised_exosomes_are_read_from_chinese_alone(chictr):
    _, d = chictr["ChiCTR2000088802"]
    assert (d.product_type, d.cell_source, d.route) == (
        "extracellular_vesicles", "adipose", "inhalation",
    )  # fmt: skip
    assert (d.dose_value, d.dose_unit, d.administrations) == (2e8, "particles", 5)
    assert "雾化吸入" in d.evidence["route"].text
