"""The *Analysis* pages: the statistician reads the blinded report, the DSMB the unblinded one,
both can download it as HTML and PDF, and every other role is refused."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from msctrial.core.settings import Settings
from msctrial.demo.spine import demo_password
from msctrial.web.app import create_app
from tests.analysis.conftest import _build_trial
from tests.conftest import TEST_SECRET
from tests.web.conftest import log_in

ARMS = ("UC-MSC", "Placebo")
REFUSED = ("investigator", "coordinator", "pharmacist", "monitor", "admin", "qc", "safety")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """The simulated twelve-patient trial of the analysis tests, behind the web app."""
    url = f"sqlite:///{tmp_path_factory.mktemp('analysis-web') / 'trial.db'}"
    _build_trial(url)
    return create_app(Settings(database_url=url, secret_key=TEST_SECRET, cookie_secure=False))


@pytest.fixture
def as_user(app) -> Iterator:  # noqa: ANN001
    clients: list[TestClient] = []

    def client_for(username: str) -> TestClient:
        client = TestClient(app, follow_redirects=False)
        client.__enter__()
        clients.append(client)
        assert log_in(client, username, demo_password(username)).status_code == 303
        return client

    yield client_for
    for client in clients:
        client.__exit__(None, None, None)


def ready(client: TestClient, path: str = "/analysis") -> Response:
    """The page once its report is ready: it shows progress, and looks again, until then."""
    deadline = time.monotonic() + 60
    while True:
        page = client.get(path)
        if 'id="report-computing"' not in page.text or time.monotonic() > deadline:
            return page
        assert '<meta http-equiv="refresh" content="2">' in page.text
        time.sleep(0.2)


def test_the_statistician_reads_the_blinded_report_with_no_arm(as_user):
    page = ready(as_user("statistician"))
    assert page.status_code == 200
    assert "Analysis: the blinded report" in page.text and "Blinded report" in page.text
    assert "CONSORT flow" in page.text and "Biomarker trajectories" in page.text
    assert 'href="/analysis"' in page.text  # in the menu
    assert not [arm for arm in ARMS if arm in page.text]
    assert "Comparisons by arm" not in page.text


def test_the_dsmb_reads_the_unblinded_report_by_arm(as_user):
    page = ready(as_user("dsmb"))
    assert page.status_code == 200
    assert "UNBLINDED" in page.text and "Comparisons by arm" in page.text
    assert all(arm in page.text for arm in ARMS)


@pytest.mark.parametrize("username", ["statistician", "dsmb"])
def test_the_report_downloads_as_html_and_as_pdf(as_user, username):
    pypdf = pytest.importorskip("pypdf")
    client = as_user(username)
    html = client.get("/analysis/report.html")
    assert html.status_code == 200 and html.text.startswith("<!doctype html>")
    assert "attachment" in html.headers["content-disposition"]
    pdf = client.get("/analysis/report.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert "CONSORT flow" in text
    assert ("UC-MSC" in text) is (username == "dsmb")


@pytest.mark.parametrize("username", REFUSED)
def test_every_other_role_is_refused_and_has_no_analysis_menu(as_user, username):
    client = as_user(username)
    for path in ("/analysis", "/analysis/report.html", "/analysis/report.pdf"):
        refused = client.get(path)
        assert refused.status_code == 403, path
        assert not [arm for arm in ARMS if arm in refused.text]
    assert 'href="/analysis"' not in client.get("/").text


def test_a_visitor_who_is_not_logged_in_is_sent_to_log_in(app):
    with TestClient(app, follow_redirects=False) as client:
        response = client.get("/analysis")
    assert response.status_code in (303, 401)


def test_while_the_report_is_computed_the_page_shows_progress_and_looks_again(app, monkeypatch):
    """A computation of many seconds is never a hanging page (issue 10, item 6)."""
    from msctrial.web.pages import analysis as pages

    release = threading.Event()
    compute = pages.trial_report

    def slow(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        assert release.wait(30)
        return compute(*args, **kwargs)

    monkeypatch.setattr(pages, "trial_report", slow)
    fresh = create_app(app.state.settings)  # its own page cache: nothing computed yet
    with TestClient(fresh, follow_redirects=False) as client:
        assert log_in(client, "statistician", demo_password("statistician")).status_code == 303
        waiting = client.get("/analysis")
        assert waiting.status_code == 200
        assert 'id="report-computing"' in waiting.text and 'role="status"' in waiting.text
        assert '<meta http-equiv="refresh" content="2">' in waiting.text
        assert 'id="report"' not in waiting.text
        release.set()
        page = ready(client)
    assert "CONSORT flow" in page.text and "<meta http-equiv" not in page.text


def test_a_report_that_fails_says_why_and_is_tried_again(app, monkeypatch):
    from msctrial.web.pages import analysis as pages

    calls: list[int] = []

    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls.append(1)
        raise RuntimeError("the endpoints could not be derived")

    monkeypatch.setattr(pages, "trial_report", broken)
    fresh = create_app(app.state.settings)
    with TestClient(fresh, follow_redirects=False) as client:
        assert log_in(client, "statistician", demo_password("statistician")).status_code == 303
        client.get("/analysis")
        deadline = time.monotonic() + 30
        while 'id="report-failed"' not in (page := client.get("/analysis")).text:
            assert time.monotonic() < deadline, page.text[:500]
            time.sleep(0.1)
        assert "the endpoints could not be derived" in page.text
        assert "<meta http-equiv" not in page.text
        client.get("/analysis")  # the next view tries again
        deadline = time.monotonic() + 30
        while len(calls) < 2:
            assert time.monotonic() < deadline
            time.sleep(0.1)
