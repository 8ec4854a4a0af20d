"""In real Chromium: the monitor opens the risk-adapted monitoring dashboard of the demo trial —
the site × KRI heat map, the monitoring plan, the five-part scorecard — follows a KRI to its
funnel plot and a site's cell to the records behind it, and never meets an arm."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import log_in

pytestmark = pytest.mark.browser

# The demo's arm labels; "control: placebo" in the scorecard is the design, not an allocation.
ARM_WORDS = ("UC-MSC", "Placebo")
PARTS = [
    "Ethics compliance",
    "Scientific design",
    "Stem cell product",
    "Execution progress",
    "Execution quality",
]


def test_the_monitor_reads_the_kris_plan_and_scorecard_and_follows_a_flag(page, demo_server):
    log_in(page, demo_server.url, "monitor")
    page.click("nav >> text=Monitoring")
    assert page.locator("h1").inner_text() == "Risk-adapted monitoring"
    sites = page.locator("#heat-map tbody th").all_inner_texts()
    assert sites, "the heat map has a row per site"
    plan_sites = page.locator("#plan tbody tr[data-site]")
    assert sorted(plan_sites.locator("th").all_inner_texts()) == sorted(sites)
    intensities = set(plan_sites.locator("td.intensity").all_inner_texts())
    assert intensities <= {"full", "targeted", "remote"} and intensities
    headings = page.locator("#scorecard ~ .card h2").all_inner_texts()
    assert [h.split(":")[0] for h in headings] == PARTS
    body = (
        page.locator("main").inner_text()
        if page.locator("main").count()
        else page.inner_text("body")
    )
    assert not [w for w in ARM_WORDS if w in body]

    page.click("#heat-map thead >> text=AE")
    assert "AE:" in page.locator("h1, h2").first.inner_text() or "AE" in page.url
    assert page.locator("svg").count() >= 1
    page.go_back()
    page.locator("#heat-map tbody td.kri a").first.click()
    assert "/monitoring/records" in page.url
    assert not [w for w in ARM_WORDS if w in page.inner_text("body")]
