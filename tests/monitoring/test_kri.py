"""KRIs on the trial's own data: counts checked row by row, site isolation, blinding, the CLI."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pytest
from sqlalchemy import select

from msctrial.clinical.data_queries.tables import DataQuery
from msctrial.clinical.randomisation.tables import Allocation, EmergencyUnblinding
from msctrial.clinical.safety.tables import AdverseEvent
from msctrial.clinical.subjects.tables import StudyExit, Subject
from msctrial.clinical.visits.tables import FormEntry, FormValue, VisitRecord
from msctrial.core import audit
from msctrial.core.actors import Actor, Grant
from msctrial.core.errors import NotFound, PermissionDenied
from msctrial.core.localtime import site_local_date
from msctrial.core.tables import Site
from msctrial.monitoring.config import default_config
from msctrial.monitoring.service import RISK_SCORE_ID, key_risk_indicators
from tests.cli.conftest import assert_one_plain_error, cli  # noqa: F401  (the fixture)
from tests.monitoring.conftest import AS_OF

MONITOR = Actor("monitor", grants=(Grant("monitor"),))
KEYS = {"kri", "site", "numerator", "denominator", "metric", "score", "flag", "note"}


def _site_codes(session) -> dict[int, str]:  # noqa: ANN001
    return {s.id: s.code for s in session.scalars(select(Site))}


def _enrolled(session):  # noqa: ANN001, ANN202
    return list(session.scalars(select(Subject).where(Subject.day0_date.is_not(None))))


def test_every_kri_for_every_site_then_each_site_risk_score(world):
    report = key_risk_indicators(world.session, MONITOR, now=AS_OF)
    rows = report.to_list()
    assert all(set(r) == KEYS for r in rows)
    kris = [k.id for k in default_config().kris]
    assert {"AE", "SAE", "SDSC", "TDSC", "QRY", "OQRY", "ODAT", "CDAT", "SF", "IE", "DTH90"} <= set(
        kris
    )
    sites = report.sites()
    assert sites == ["BJS", "KMG", "WUH"]
    assert [(r["kri"], r["site"]) for r in rows] == [
        (k, s) for k in [*kris, RISK_SCORE_ID] for s in sites
    ]


def test_ae_counts_and_days_on_study_match_the_records(world):
    """AEs of randomised subjects over Σ (exit or today − day 0 + 1) days, per site."""
    s = world.session
    codes = _site_codes(s)
    sites = {site.id: site for site in s.scalars(select(Site))}
    exits = {e.subject_id: e.exit_date for e in s.scalars(select(StudyExit))}
    days: Counter[str] = Counter()
    enrolled = {}
    for subject in _enrolled(s):
        today = site_local_date(AS_OF, sites[subject.site_id])
        end = min(exits.get(subject.id) or today, today)
        days[codes[subject.site_id]] += (end - subject.day0_date).days + 1
        enrolled[subject.id] = codes[subject.site_id]
    events = Counter(
        enrolled[ae.subject_id]
        for ae in s.scalars(select(AdverseEvent).where(AdverseEvent.voided_at.is_(None)))
        if ae.subject_id in enrolled
    )
    report = key_risk_indicators(s, MONITOR, now=AS_OF)
    for code in report.sites():
        row = report.row("AE", code)
        assert row is not None
        assert (row.numerator, row.denominator) == (events[code], days[code])
        assert row.metric == pytest.approx(events[code] / days[code])


def test_query_rate_counts_queries_per_typed_data_point(world):
    s = world.session
    codes = _site_codes(s)
    queries = Counter(codes[q.site_id] for q in s.scalars(select(DataQuery)))
    points = Counter(
        codes[site_id]
        for (site_id,) in s.execute(
            select(FormValue.site_id)
            .join(FormEntry, FormEntry.id == FormValue.entry_id)
            .where(FormEntry.voided_at.is_(None), FormValue.derived.is_(False))
        )
    )
    report = key_risk_indicators(s, MONITOR, now=AS_OF)
    for code in report.sites():
        row = report.row("QRY", code)
        assert row is not None
        assert (row.numerator, row.denominator) == (queries[code], points[code])


def test_forms_entered_late_at_one_site_show_on_odat_and_three_sites_cannot_flag(world):
    """Every WUH form is typed 20 days after its visit: ODAT is 1.0 at WUH, 0 elsewhere, but
    with three sites no adjusted |z| can reach 2 (√3 ≈ 1.73), and the rows say so."""
    s = world.session
    wuh = s.scalar(select(Site.id).where(Site.code == "WUH"))
    for entry, visit_date in s.execute(
        select(FormEntry, VisitRecord.visit_date)
        .join(VisitRecord, VisitRecord.id == FormEntry.visit_id)
        .where(FormEntry.site_id == wuh, VisitRecord.visit_date.is_not(None))
    ):
        entry.entered_at = dt.datetime.combine(
            visit_date + dt.timedelta(days=20), dt.time(4), tzinfo=dt.UTC
        )
    _write_fault(s)
    report = key_risk_indicators(s, MONITOR, now=AS_OF)
    row = report.row("ODAT", "WUH")
    assert row is not None and row.metric == 1.0
    assert report.row("ODAT", "BJS").metric == 0.0  # type: ignore[union-attr]
    assert "with 3 group(s)" in (row.note or "")
    assert report.notes["ODAT"]


def test_two_emergency_unblindings_at_a_site_are_red_and_raise_its_risk_score(world):
    s = world.session
    before = key_risk_indicators(s, MONITOR, now=AS_OF)
    wuh = s.scalar(select(Site.id).where(Site.code == "WUH"))
    subjects = [x for x in _enrolled(s) if x.site_id == wuh][:2]
    for subject in subjects:
        s.add(
            EmergencyUnblinding(
                subject_id=subject.id,
                site_id=wuh,
                reason="anaphylaxis, treatment depends on the arm",
                unblinded_by="investigator",
            )
        )
    _write_fault(s)
    after = key_risk_indicators(s, MONITOR, now=AS_OF)
    row = after.row("UNBL", "WUH")
    assert row is not None and (row.numerator, row.flag) == (2, 2)
    srs_before = before.row(RISK_SCORE_ID, "WUH")
    srs_after = after.row(RISK_SCORE_ID, "WUH")
    assert srs_before is not None and srs_after is not None
    assert (srs_after.score or 0) > (srs_before.score or 0)


def test_a_site_user_sees_only_their_site(world):
    investigator = Actor(
        "investigator", grants=(Grant("investigator", site_id=_wuh_id(world), site_code="WUH"),)
    )
    report = key_risk_indicators(world.session, investigator, now=AS_OF)
    assert report.sites() == ["WUH"]
    with pytest.raises(NotFound):
        key_risk_indicators(world.session, investigator, site="BJS", now=AS_OF)
    # The score is the same as the monitor's: it stands against all sites, which stay unseen.
    monitor = key_risk_indicators(world.session, MONITOR, now=AS_OF)
    assert report.row("AE", "WUH") == monitor.row("AE", "WUH")


def test_a_role_that_reads_no_subjects_reads_no_kri(world):
    with pytest.raises(PermissionDenied):
        key_risk_indicators(world.session, Actor("qc", grants=(Grant("qc"),)), now=AS_OF)


def test_no_kri_reveals_an_arm(world):
    arms = set(world.session.scalars(select(Allocation.arm)))
    assert arms
    text = json.dumps(key_risk_indicators(world.session, MONITOR, now=AS_OF).to_list())
    assert "arm" not in text
    assert not any(arm in text for arm in arms)


def test_the_command_prints_the_json_contract(cli, world):  # noqa: F811
    world.session.close()
    result = cli("monitor", "kri", "--db", world.path, "--json")
    assert result.code in (0, 1), result
    rows = json.loads(result.out)
    assert rows and all(set(r) == KEYS for r in rows)
    one = cli("monitor", "kri", "--db", world.path, "--site", "kmg", "--json")
    assert {r["site"] for r in json.loads(one.out)} == {"KMG"}
    text = cli("monitor", "kri", "--db", world.path)
    assert "AE" in text.out and "Site risk score" in text.out


def test_the_command_refuses_an_unknown_site_and_a_bad_config(cli, world, tmp_path):  # noqa: F811
    world.session.close()
    assert_one_plain_error(cli("monitor", "kri", "--db", world.path, "--site", "XYZ"), "site")
    bad = tmp_path / "kri.yaml"
    bad.write_text("kris:\n  - id: AE\n    source: nowhere\n", encoding="utf-8")
    assert_one_plain_error(cli("monitor", "kri", "--db", world.path, "--config", bad), "config")


def test_a_copied_configuration_changes_the_bands(cli, world, tmp_path):  # noqa: F811
    world.session.close()
    own = tmp_path / "kri.yaml"
    own.write_text(
        "kris:\n"
        "  - id: AE\n    name: AE rate\n    numerator: AEs\n    denominator: days\n"
        "    source: ae\n    type: rate\n    method: poisson\n"
        "    thresholds: [-100, 100]\n    flags: [-2, 0, 2]\n",
        encoding="utf-8",
    )
    result = cli("monitor", "kri", "--db", world.path, "--config", own, "--json")
    assert result.code == 0, result
    rows = json.loads(result.out)
    assert {r["kri"] for r in rows} == {"AE", RISK_SCORE_ID}
    assert {r["flag"] for r in rows if r["kri"] == "AE"} == {0}


def _write_fault(session) -> None:  # noqa: ANN001
    """Write a site fault straight to the tables, audited like any change."""
    audit.attach(session, Actor.system_actor("test-fault"))
    with audit.because(session, "a simulated site fault"):
        session.flush()


def _wuh_id(world) -> int:  # noqa: ANN001
    site_id = world.session.scalar(select(Site.id).where(Site.code == "WUH"))
    assert site_id is not None
    return site_id


def test_kris_per_country_sum_the_sites_of_each_country(world, cli):  # noqa: F811
    s = world.session
    bjs = s.scalar(select(Site).where(Site.code == "BJS"))
    bjs.country = "HK"
    _write_fault(s)
    by_site = key_risk_indicators(s, MONITOR, now=AS_OF)
    from msctrial.monitoring.service import country_indicators

    by_country = country_indicators(s, MONITOR, now=AS_OF)
    assert sorted({r.site for r in by_country.rows}) == ["CN", "HK"]
    assert RISK_SCORE_ID not in {r.kri for r in by_country.rows}
    cn = by_country.row("AE", "CN")
    wuh, kmg = by_site.row("AE", "WUH"), by_site.row("AE", "KMG")
    assert cn is not None and wuh is not None and kmg is not None
    assert (cn.numerator, cn.denominator) == (
        wuh.numerator + kmg.numerator,
        wuh.denominator + kmg.denominator,
    )
    site_user = Actor("inv", grants=(Grant("investigator", site_id=bjs.id, site_code="BJS"),))
    with pytest.raises(PermissionDenied):
        country_indicators(s, site_user, now=AS_OF)
    s.commit()
    s.close()
    result = cli("monitor", "kri", "--db", world.path, "--by", "country", "--json")
    rows = json.loads(result.out)
    assert rows and {r["country"] for r in rows} == {"CN", "HK"} and "site" not in rows[0]
    assert_one_plain_error(cli("monitor", "kri", "--db", world.path, "--by", "region"), "by")
