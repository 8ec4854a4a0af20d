"""In real Chromium: the statistician opens *Analysis* and reads the blinded report of the demo
trial with no arm anywhere, and downloads it; the DSMB reads the unblinded one, by arm; site
staff have no menu entry and are refused."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import log_in

pytestmark = pytest.mark.browser

ARM_WORDS = ("UC-MSC", "Placebo")
# The report is computed on its first view after a change of the data (every figure, the DSMB's
# models; about 5 s for the demo trial here), then served from the page cache.
REPORT_TIMEOUT_MS = 30_000
SECTIONS = ("CONSORT flow", "Baseline characteristics", "Time to clinical improvement",
            "Biomarker trajectories by visit")  # fmt: skip


def test_the_statistician_reads_the_blinded_report_and_never_meets_an_arm(page, demo_server):
    page.set_default_timeout(REPORT_TIMEOUT_MS)
    log_in(page, demo_server.url, "statistician")
    page.click("nav >> text=Analysis")
    page.locator("#report").wait_for()  # the page shows progress, then the report
    assert page.locator("h1").inner_text() == "Analysis: the blinded report"
    headings = page.locator("#report h2").all_inner_texts()
    assert all(any(h.startswith(s) for h in headings) for s in SECTIONS), headings
    assert "Comparisons by arm" not in headings
    assert page.locator("#report figure svg").count() >= 5
    body = page.inner_text("body")
    assert not [w for w in ARM_WORDS if w in body]
    assert not [w for w in ARM_WORDS if w in page.content()]  # nor in the SVGs' text
    href = page.locator("#download-pdf").get_attribute("href") or ""
    pdf = page.request.get(demo_server.url + href, timeout=REPORT_TIMEOUT_MS)
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    with page.expect_download() as download:
        page.click("#download-html")
    assert download.value.suggested_filename == "report.html"


def test_the_dsmb_reads_the_unblinded_report_by_arm(page, demo_server):
    page.set_default_timeout(REPORT_TIMEOUT_MS)
    log_in(page, demo_server.url, "dsmb")
    page.click("nav >> text=Analysis")
    page.locator("#report").wait_for()
    assert page.locator("h1").inner_text() == "Analysis: the DSMB's unblinded report"
    body = page.inner_text("#report")
    assert "UNBLINDED" in body and "Comparisons by arm" in body
    assert all(w in body for w in ARM_WORDS)


@pytest.mark.parametrize("username", ["investigator", "coordinator", "monitor"])
def test_site_staff_and_the_monitor_have_no_analysis(page, demo_server, username):
    log_in(page, demo_server.url, username)
    assert page.locator("nav >> text=Analysis").count() == 0
    response = page.goto(f"{demo_server.url}/analysis")
    assert response is not None and response.status == 403
    assert not [w for w in ARM_WORDS if w in page.inner_text("body")]
