"""The registry pages and JSON API: public to every logged-in role, searchable, sortable."""

from __future__ import annotations

import re

import pytest

from msctrial.registry import service
from tests.registry.test_service import corpus


@pytest.fixture
def loaded(session, system, tmp_path):  # noqa: ANN001, ANN201
    service.load_records(session, system, corpus(tmp_path))


@pytest.mark.parametrize(
    "username", ["investigator", "investigator.kmg", "pharmacist", "monitor", "dsmb", "qc"]
)
def test_every_role_reads_the_registry(loaded, login, username):
    client = login(username)
    page = client.get("/registry")
    assert page.status_code == 200
    assert page.text.count('class="trial"') == 3
    assert 'href="/registry"' in page.text  # in the menu
    api = client.get("/api/v1/registry/trials")
    assert api.status_code == 200 and len(api.json()) == 3


def test_the_registry_needs_a_login(loaded, client):
    assert client.get("/api/v1/registry/trials").status_code == 401
    page = client.get("/registry")
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_the_trial_table_is_searched_and_sorted_on_the_server(loaded, login):
    client = login("monitor")
    found = client.get("/registry", params={"q": "spain"}).text
    assert re.findall(r'href="/registry/(NCT\d+)"', found) == ["NCT09400002"]
    newest = client.get("/registry", params={"sort": "start_date", "desc": "true"}).text
    assert re.findall(r'href="/registry/(NCT\d+)"', newest) == [
        "NCT09400003",
        "NCT09400002",
        "NCT09400001",
    ]
    assert 'aria-sort="descending"' in newest
    assert (
        client.get("/registry", params={"q": "nothing-like-this"}).text.count('class="trial"') == 0
    )
    bad = client.get("/api/v1/registry/trials", params={"sort": "secret"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "sort"


def test_the_landscape_figures_are_on_the_page(loaded, login):
    page = login("investigator").get("/registry").text
    for name in (
        "country",
        "start_month",
        "phase",
        "status",
        "source",
        "route",
        "dose",
        "administrations",
        "enrollment",
        "guidance",
        "rules",
    ):
        assert f'id="fig-{name}"><svg' in page, name
    land = login("investigator").get("/api/v1/registry/landscape").json()
    assert land["trials"] == 3 and land["by_country"] == {
        "China": 1,
        "Spain": 1,
        "United States": 1,
    }
    assert land["deviating"] == {"NCT09400001": ["dose_per_kg_low"]}


def test_a_trial_opens_its_design_with_evidence_and_findings(loaded, login):
    client = login("coordinator")
    page = client.get("/registry/NCT09400001")
    assert page.status_code == 200
    assert "<q>4.0*10E7 UC-MSCs per time, intravenously at Day 0, Day 3, Day 6</q>" in page.text
    assert "dose_per_kg_low" in page.text and 'class="deviation"' in page.text
    api = client.get("/api/v1/registry/trials/NCT09400001").json()
    assert api["design"]["schedule_days"] == [0, 3, 6]
    assert api["design"]["evidence"]["schedule_days"]["source"].startswith(
        "armsInterventionsModule"
    )
    assert api["protocol"]["arms"][1]["type"] == "placebo"


def test_an_unknown_trial_is_not_found(loaded, login):
    client = login("monitor")
    assert client.get("/registry/NCT00000000").status_code == 404
    missing = client.get("/api/v1/registry/trials/NCT00000000")
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "trial_id"


def test_an_empty_store_says_how_to_fill_it(login):
    page = login("monitor").get("/registry").text
    assert "msctrial registry load" in page


def test_the_api_filters_the_trials_and_gives_the_landscape_at_a_date(
    session, system, login, tmp_path
):
    from tests.registry.ictrp_records import msc_rows, write_xlsx

    service.load_records(session, system, [write_xlsx(tmp_path / "w.xlsx", msc_rows())])
    client = login("monitor")
    only = client.get("/api/v1/registry/trials", params={"registry": "ChiCTR", "combination": True})
    assert [t["trial_id"] for t in only.json()] == ["ChiCTR2000099903"]
    assert only.json()[0]["combined_with"] == ["ruxolitinib"]
    at = client.get("/api/v1/registry/landscape-at", params={"as_of": "2020-07-08"})
    assert at.status_code == 200 and at.json()["counts"]["duplicates_merged"] == 1
    assert client.get("/api/v1/registry/landscape-at", params={"as_of": "July"}).status_code == 422
    page = client.get("/registry", params={"as_of": "2020-07-08", "registry": "ChiCTR"}).text
    assert 'id="landscape-at"' in page and "on ChiCTR, each counted once" in page
    bad = client.get("/registry", params={"registered_from": "soon"})
    assert bad.status_code == 422 and "registered_from" in bad.text
