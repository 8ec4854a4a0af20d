"""The records behind a KRI's numerator: named by subject, one click from the heat map."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from msctrial.clinical.safety.tables import AdverseEvent
from msctrial.clinical.subjects.tables import Subject
from msctrial.core.actors import Actor, Grant
from msctrial.core.errors import NotFound
from msctrial.core.tables import Site
from msctrial.monitoring.service import kri_records
from tests.cli.conftest import assert_one_plain_error, cli  # noqa: F401  (the fixture)
from tests.monitoring.conftest import AS_OF
from tests.monitoring.test_pages import browse  # noqa: F401  (the fixture)

MONITOR = Actor("monitor", grants=(Grant("monitor"),))


def test_each_site_numerator_is_its_list_of_records(world):
    s = world.session
    spec, per_site = kri_records(s, MONITOR, "ae", now=AS_OF)
    assert spec.id == "AE"
    for site in per_site:
        assert len(site.records) == site.numerator
        assert all(r.startswith(f"{site.site}-") and " AE " in r for r in site.records)
    codes = {
        f"{code} AE {number}"
        for code, number in s.execute(
            select(Subject.subject_code, AdverseEvent.number)
            .join(AdverseEvent, AdverseEvent.subject_id == Subject.id)
            .where(AdverseEvent.voided_at.is_(None), Subject.day0_date.is_not(None))
        )
    }
    assert {r for site in per_site for r in site.records} == codes


def test_a_site_user_gets_their_own_site_and_not_another(world):
    s = world.session
    kmg = s.scalar(select(Site.id).where(Site.code == "KMG"))
    investigator = Actor("inv", grants=(Grant("investigator", site_id=kmg, site_code="KMG"),))
    _, per_site = kri_records(s, investigator, "AE", now=AS_OF)
    assert [p.site for p in per_site] == ["KMG"]
    with pytest.raises(NotFound):
        kri_records(s, investigator, "AE", site="WUH", now=AS_OF)
    with pytest.raises(NotFound):
        kri_records(s, MONITOR, "XYZ", now=AS_OF)


def test_the_records_page_and_command(browse, cli, world):  # noqa: F811
    page = browse("monitor").get("/monitoring/records?kri=QRY&site=WUH")
    assert page.status_code == 200 and 'id="site-WUH"' in page.text
    assert "query" in page.text
    dashboard = browse("monitor").get("/monitoring").text
    assert 'href="/monitoring/records?kri=AE&amp;site=WUH"' in dashboard
    result = cli("monitor", "records", "--db", world.path, "--kri", "QRY", "--json")
    rows = json.loads(result.out)
    assert result.code == 0 and {r["site"] for r in rows} == {"WUH", "BJS", "KMG"}
    assert all(len(r["records"]) == r["numerator"] for r in rows)
    assert_one_plain_error(cli("monitor", "records", "--db", world.path, "--kri", "NOPE"), "kri")
