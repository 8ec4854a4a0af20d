"""The registry store on SQLite and PostgreSQL: loading, reloading, searching, one trial."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from msctrial.core.actors import Actor, Grant
from msctrial.core.errors import InvalidInput, NotFound, PermissionDenied
from msctrial.registry import service
from msctrial.registry.tables import RegistryLoad, RegistryStudy
from tests.registry.records import arm, dumps, intervention, msc_placebo_trial, to_xml, v2_study

MONITOR = Actor(username="monitor", user_id=99, grants=(Grant("monitor"),))


def corpus(tmp_path: Path) -> list[Path]:
    """Three MSC trials in three formats, a non-MSC trial, and two bad records."""
    a = tmp_path / "a.json"
    a.write_bytes(dumps(msc_placebo_trial("NCT09400001", countries=("China",), start="2020-02-10")))
    b = tmp_path / "b.xml"
    b.write_text(to_xml(msc_placebo_trial("NCT09400002", dose_text="1*10E6 cells/kg IV at Day 0, Day 3, Day 6",
                                          countries=("Spain",), start="2020-05-01")), encoding="utf-8")  # fmt: skip
    bulk = tmp_path / "bulk.zip"
    with zipfile.ZipFile(bulk, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("NCT09400003.json", dumps(v2_study(
            "NCT09400003", title="Bone marrow MSCs in ARDS", countries=("United States",),
            arms=[arm("BM-MSC", "EXPERIMENTAL", "Two IV infusions of 1x10^8 bone marrow MSCs, Day 0 and Day 4", "Biological: BM-MSC")],
            interventions=[intervention("BM-MSC", None, ("BM-MSC",))], start="2020-05-20",
        )))  # fmt: skip
        z.writestr(
            "NCT09400004.json",
            dumps(v2_study("NCT09400004", title="Tocilizumab", summary=None, criteria=None)),
        )
        z.writestr("bad.json", b'{"protocolSection": {"mesenchymal"')
    bad = tmp_path / "bad.xml"
    bad.write_text(
        "<clinical_study><id_info><nct_id>NCT0940</nct_id></id_info>mesenchymal</clinical_study>"
    )
    return [a, b, bulk, bad]


def test_a_load_stores_the_msc_trials_and_reports_every_bad_record(session, system, tmp_path):
    report = service.load_records(session, system, corpus(tmp_path))
    assert (report.studies_read, report.msc_trials, report.skipped, report.problems_total) == (
        4,
        3,
        1,
        2,
    )
    assert {Path(p.file.split("!")[0]).name for p in report.problems} == {"bulk.zip", "bad.xml"}
    ids = session.scalars(select(RegistryStudy.trial_id).order_by(RegistryStudy.trial_id)).all()
    assert ids == ["NCT09400001", "NCT09400002", "NCT09400003"]
    log = session.scalars(select(RegistryLoad)).one()
    assert (
        log.loaded_by == "system:test" and log.problems_total == 2 and log.finished_at is not None
    )


def test_loading_a_study_again_replaces_it(session, system, tmp_path):
    f = tmp_path / "a.json"
    f.write_bytes(dumps(msc_placebo_trial("NCT09400001", enrollment=40)))
    service.load_records(session, system, [f])
    f.write_bytes(dumps(msc_placebo_trial("NCT09400001", enrollment=120)))
    service.load_records(session, system, [f])
    assert session.scalar(select(func.count()).select_from(RegistryStudy)) == 1
    assert session.get(RegistryStudy, "NCT09400001").enrollment == 120


def test_only_an_administrator_loads_records(session, tmp_path):
    with pytest.raises(PermissionDenied, match="admin"):
        service.load_records(session, MONITOR, corpus(tmp_path))
    with pytest.raises(InvalidInput, match="paths"):
        service.load_records(session, Actor.system_actor("t"), [])


def test_any_user_reads_searches_and_sorts_the_trials(session, system, settings, tmp_path):
    service.load_records(session, system, corpus(tmp_path))
    rows = service.list_trials(session, MONITOR, settings)
    assert [r.trial_id for r in rows] == ["NCT09400001", "NCT09400002", "NCT09400003"]
    assert rows[0].dose == "4×10^7 cells/dose" and not rows[0].meets_guidance
    assert rows[1].meets_guidance and rows[1].deviations == []
    assert [r.trial_id for r in service.list_trials(session, MONITOR, settings, q="spain")] == [
        "NCT09400002"
    ]
    assert [
        r.trial_id for r in service.list_trials(session, MONITOR, settings, q="bone marrow")
    ] == ["NCT09400003"]
    newest = service.list_trials(session, MONITOR, settings, sort="start_date", descending=True)
    assert [r.trial_id for r in newest] == ["NCT09400003", "NCT09400002", "NCT09400001"]
    with pytest.raises(InvalidInput, match="sort"):
        service.list_trials(session, MONITOR, settings, sort="password")


def test_one_trial_opens_with_its_design_evidence_and_findings(session, system, settings, tmp_path):
    service.load_records(session, system, corpus(tmp_path))
    detail = service.get_trial(session, MONITOR, settings, "nct09400001")
    assert (
        detail.design.dose_value == 4e7 and "4.0*10E7" in detail.design.evidence["dose_value"].text
    )
    assert {f.rule for f in detail.design.findings} >= {"dose_per_kg_low"}
    assert detail.protocol is not None and detail.protocol["registry_ids"] == ["NCT09400001"]
    with pytest.raises(NotFound, match="NCT09999999"):
        service.get_trial(session, MONITOR, settings, "NCT09999999")


def test_the_landscape_counts_the_store(session, system, settings, tmp_path):
    service.load_records(session, system, corpus(tmp_path))
    land, figs = service.landscape(session, MONITOR, settings)
    assert land.trials == 3
    assert land.by_country == {"China": 1, "Spain": 1, "United States": 1}
    assert land.by_start_month == {"2020-02": 1, "2020-05": 2}
    assert land.meeting == ["NCT09400002", "NCT09400003"] and "NCT09400001" in land.deviating
    assert all(svg.startswith("<svg") for svg in figs.values())
    assert set(figs) == {"country", "start_month", "phase", "status", "source", "route", "dose",
                         "administrations", "enrollment", "guidance", "rules"}  # fmt: skip
