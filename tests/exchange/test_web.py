"""The Exports page and ``/api/v1/exports``: the same scoped, blinded, audited exports, each
file shown with its validator's verdict; a file downloads only for the user who exported it."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from msctrial.core.settings import Settings
from msctrial.demo.spine import demo_password
from msctrial.web.app import create_app
from tests.conftest import TEST_SECRET
from tests.exchange.conftest import secrets_of_the_allocation
from tests.web.conftest import csrf_of, log_in


@pytest.fixture
def browser(trial_url):  # noqa: ANN001, ANN201
    settings = Settings(
        database_url=trial_url, secret_key=TEST_SECRET, migrate_on_start=True, cookie_secure=False
    )

    def as_user(username: str) -> TestClient:
        client = TestClient(create_app(settings), follow_redirects=False)
        assert log_in(client, username, demo_password(username)).status_code == 303
        return client

    return as_user


def _post(client: TestClient, kind: str, **body) -> dict:  # noqa: ANN003
    csrf = csrf_of(client.get("/exports").text)
    response = client.post(f"/api/v1/exports/{kind}", json=body, headers={"x-csrf-token": csrf})
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.parametrize(
    ("kind", "body", "validator"),
    [
        ("odm", {}, "ODM 1.3.2 XSD"),
        ("fhir", {}, "fhir.resources R4B"),
        ("sdtm", {}, "pyreadstat"),
        ("values", {"format": "parquet", "layout": "wide"}, "pyarrow"),
        ("redcap", {}, "csv"),
    ],
)
def test_each_export_through_the_api_is_valid_by_its_validator(
    browser, kind, body, validator
) -> None:  # noqa: ANN001
    result = _post(browser("monitor"), kind, **body)
    assert result["blinded"] is True and result["record_id"] > 0
    assert all(f["valid"] for f in result["files"]), result["files"]
    assert validator in {f["validator"] for f in result["files"]}
    if kind == "sdtm":
        assert "Define-XML 2.1 XSD" in {f["validator"] for f in result["files"]}


def test_a_file_downloads_for_its_exporter_only_and_holds_no_allocation(browser, session) -> None:  # noqa: ANN001
    secrets = secrets_of_the_allocation(session)
    session.rollback()  # SQLite: an open read holds the write lock the export needs
    monitor = browser("monitor")
    result = _post(monitor, "values", format="csv")
    url = result["files"][0]["url"]
    body = monitor.get(url)
    assert body.status_code == 200 and body.text.startswith("subject,site,visit")
    assert [s for s in secrets if s.lower() in body.text.lower()] == []
    assert browser("statistician").get(url).status_code == 404


def _finished(client: TestClient, location: str) -> str:
    """The job page at ``location`` once its export is no longer running."""
    job = location.split("job=")[1]
    for _ in range(300):
        if client.get(f"/exports/jobs/{job}").json()["state"] != "running":
            break
        time.sleep(0.1)
    return client.get(location).text


def test_the_exports_page_lists_the_records_and_each_files_validation(browser) -> None:  # noqa: ANN001
    investigator = browser("investigator")
    page = investigator.get("/exports")
    assert page.status_code == 200 and "Exports" in page.text
    started = investigator.post(
        "/exports", data={"kind": "odm", "csrf_token": csrf_of(page.text), "layout": "long"}
    )
    assert started.status_code == 303 and "/exports?job=" in started.headers["location"]
    done = _finished(investigator, started.headers["location"])
    assert 'data-state="done"' in done and "Exported" in done, done
    assert "study.xml" in done and "ODM 1.3.2 XSD" in done
    assert ">valid<" in done and "WUH" in done
    listed = investigator.get("/api/v1/exports").json()
    assert listed[0]["kind"] == "odm" and listed[0]["scope"] == "WUH"


def test_a_running_export_refreshes_its_page_and_its_status_says_how_far(browser) -> None:  # noqa: ANN001
    monitor = browser("monitor")
    csrf = csrf_of(monitor.get("/exports").text)
    started = monitor.post("/exports", data={"kind": "sdtm", "csrf_token": csrf})
    job = started.headers["location"].split("job=")[1]
    page = monitor.get(started.headers["location"]).text
    if 'data-state="running"' in page:
        assert '<meta http-equiv="refresh"' in page and "<progress" in page
    _finished(monitor, started.headers["location"])
    status = monitor.get(f"/exports/jobs/{job}").json()
    assert status["state"] == "done" and status["percent"] == 100 and status["record_id"] > 0
    assert status["rows"] == status["total"] > 0 and status["files"] == status["of_files"] == 6
    assert '<meta http-equiv="refresh"' not in monitor.get(started.headers["location"]).text


def test_another_user_cannot_follow_or_read_ones_export(browser) -> None:  # noqa: ANN001
    monitor = browser("monitor")
    started = monitor.post(
        "/exports", data={"kind": "odm", "csrf_token": csrf_of(monitor.get("/exports").text)}
    )
    location = started.headers["location"]
    job = location.split("job=")[1]
    _finished(monitor, location)
    other = browser("statistician")
    assert other.get(f"/exports/jobs/{job}").status_code == 404
    assert other.get(location).status_code == 404


def test_a_failed_export_says_why_on_its_page(browser) -> None:  # noqa: ANN001
    monitor = browser("monitor")
    csrf = csrf_of(monitor.get("/exports").text)
    started = monitor.post(
        "/exports", data={"kind": "sdtm", "file_format": "parquet", "csrf_token": csrf}
    )
    page = _finished(monitor, started.headers["location"])
    assert 'data-state="failed"' in page
    assert "format: &#39;parquet&#39; is not an SDTM format" in page


def test_an_unknown_kind_is_refused_before_anything_runs(browser) -> None:  # noqa: ANN001
    monitor = browser("monitor")
    csrf = csrf_of(monitor.get("/exports").text)
    refused = monitor.post("/exports", data={"kind": "pdf", "csrf_token": csrf})
    assert refused.status_code == 422 and "kind" in refused.text


def test_a_role_that_may_not_see_subjects_may_not_export(browser) -> None:  # noqa: ANN001
    qc = browser("qc")
    assert qc.get("/exports").status_code == 403
    assert "Exports" not in qc.get("/").text.split("<main")[0]


def test_a_blinded_users_running_export_page_and_status_hold_no_allocation(
    browser, session
) -> None:  # noqa: ANN001
    secrets = secrets_of_the_allocation(session)
    session.rollback()
    monitor = browser("monitor")
    csrf = csrf_of(monitor.get("/exports").text)
    started = monitor.post("/exports", data={"kind": "sdtm", "csrf_token": csrf})
    location = started.headers["location"]
    bodies = [monitor.get(location).text]
    bodies.append(_finished(monitor, location))
    bodies.append(monitor.get(f"/exports/jobs/{location.split('job=')[1]}").text)
    found = [s for s in secrets for body in bodies if s.lower() in body.lower()]
    assert found == []
