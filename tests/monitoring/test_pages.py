"""The monitoring dashboard: the heat map and the scorecard for a monitor, one row for a site."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from msctrial.clinical.randomisation.tables import Allocation
from msctrial.core.db import make_engine
from msctrial.core.settings import Settings
from msctrial.demo.spine import demo_password
from msctrial.product.tables import Lot
from msctrial.web.app import create_app
from tests.conftest import TEST_SECRET
from tests.web.conftest import log_in


@pytest.fixture
def browse(world) -> Iterator:  # noqa: ANN001
    """``browse("monitor")`` → a client logged in as that demo user on the simulated trial."""
    world.session.close()
    settings = Settings(
        database_url=world.url,
        secret_key=TEST_SECRET,
        migrate_on_start=False,
        cookie_secure=False,
    )
    engine = make_engine(world.url)
    clients: list[TestClient] = []

    def as_user(username: str) -> TestClient:
        client = TestClient(create_app(settings, engine), follow_redirects=False)
        clients.append(client)
        assert log_in(client, username, demo_password(username)).status_code == 303
        return client

    yield as_user
    for client in clients:
        client.close()
    engine.dispose()


def test_a_monitor_sees_every_site_the_kris_and_the_scorecard(browse, world):
    page = browse("monitor").get("/monitoring")
    assert page.status_code == 200, page.text
    html = page.text
    assert 'id="heat-map"' in html and 'id="scorecard"' in html
    for site in ("WUH", "BJS", "KMG"):
        assert f"<th>{site}</th>" in html
    for kri in ("AE", "SAE", "ODAT", "UNBL"):
        assert f'href="/monitoring/funnel?kri={kri}">{kri}</a></th>' in html
    assert ">Risk score</th>" in html
    assert "Ethics compliance" in html and "Execution quality" in html
    assert 'href="/monitoring"' in html  # in the menu


def test_a_site_investigator_sees_only_their_site_and_no_scorecard(browse):
    html = browse("investigator.bjs").get("/monitoring").text
    assert "<th>BJS</th>" in html
    assert "<th>WUH</th>" not in html and "<th>KMG</th>" not in html
    assert 'id="scorecard"' not in html


def test_the_dashboard_names_no_arm_and_no_lot(browse, world):
    from sqlalchemy.orm import Session

    html = browse("monitor").get("/monitoring").text
    with Session(make_engine(world.url)) as s:
        arms = set(s.scalars(select(Allocation.arm)))
        lots = set(s.scalars(select(Lot.code)))
    assert arms and lots
    assert not any(arm in html for arm in arms)
    assert not any(lot in html for lot in lots)


def test_a_role_without_subject_access_is_refused(browse):
    assert browse("qc").get("/monitoring").status_code == 403


def test_the_dashboard_shows_the_risk_score_over_the_snapshots(browse, world):
    import datetime as dt

    from msctrial.core.actors import Actor, Grant
    from msctrial.monitoring.history import take_snapshot
    from tests.monitoring.conftest import AS_OF

    monitor = Actor("monitor", grants=(Grant("monitor"),))
    take_snapshot(world.session, monitor, now=AS_OF - dt.timedelta(days=7))
    take_snapshot(world.session, monitor, now=AS_OF)
    html = browse("monitor").get("/monitoring").text
    assert 'id="trends"' in html
    assert (AS_OF - dt.timedelta(days=7)).date().isoformat() in html
    assert AS_OF.date().isoformat() in html


def test_a_kris_funnel_plot_draws_the_sites_inside_gsm_bounds(browse):
    client = browse("monitor")
    page = client.get("/monitoring/funnel?kri=ae")
    assert page.status_code == 200, page.text
    assert 'id="funnel"' in page.text and "<svg" in page.text
    for site in ("WUH", "BJS", "KMG"):
        assert f"<td>{site}</td>" in page.text
    # the same data draw the same bytes (fixed ids, no date), so the page is stable
    assert client.get("/monitoring/funnel?kri=AE").text == page.text
    assert client.get("/monitoring/funnel?kri=NOPE").status_code == 404


def test_a_site_user_sees_only_their_point_on_the_funnel(browse):
    html = browse("investigator.kmg").get("/monitoring/funnel?kri=AE").text
    assert "<td>KMG</td>" in html and "<td>WUH</td>" not in html
