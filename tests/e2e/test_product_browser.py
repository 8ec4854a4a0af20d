"""In real Chromium: QC enters the missing release results of a lot in quarantine and releases
it with an e-signature; the pharmacist then sees its units available."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import log_in

pytestmark = pytest.mark.browser

LOT = "UCM-DEMO-004"  # the demo's lot in quarantine, two release results entered
REMAINING = {
    "cd105": "97.2",
    "cd45": "0.5",
    "hla_dr": "0.8",
    "viability": "91",
    "cell_count": "1.01e8",
    "endotoxin": "0.2",
}
OUTCOMES = {"sterility": "negative", "mycoplasma": "negative"}


def test_qc_enters_results_and_releases_a_lot_then_the_pharmacist_sees_it_available(
    page, demo_server
):
    log_in(page, demo_server.url, "qc")
    page.click("nav >> text=Lots")
    assert page.locator(f"tr[data-lot={LOT}] .badge").inner_text() == "quarantine"
    page.click(f"text={LOT}")
    assert "release inspection: no result for viability" in page.locator("#decision").inner_text()

    for code, value in REMAINING.items():
        page.fill(f"#release-{code}", value)
    for code, outcome in OUTCOMES.items():
        page.select_option(f"#release-{code}", outcome)
    page.click("#release-results button[type=submit]")
    assert "8 release result(s) saved" in page.locator("[role=status]").inner_text()
    assert "Nothing blocks the release" in page.locator("#decision").inner_text()

    page.fill("#release-password", "not-my-password")
    page.click("#release-form button[type=submit]")
    assert "the password is wrong" in page.locator("[role=alert]").inner_text()
    assert page.locator("#lot-status").inner_text() == "quarantine"

    page.fill("#release-password", "demo-qc-pass")
    page.click("#release-form button[type=submit]")
    assert page.locator("#lot-status").inner_text() == "released"
    assert "Release signed by Liu Yang" in page.locator("#decision").inner_text()
    page.click("text=certificate of analysis")
    assert "Certificate of analysis" in page.locator("h1").inner_text()
    page.click("form.logout button")

    log_in(page, demo_server.url, "pharmacist")
    page.click("nav >> text=Lots")
    row = page.locator(f"tr[data-lot={LOT}]")
    assert row.locator(".badge").inner_text() == "released"
    assert row.locator("td").nth(7).inner_text() == "80"  # every unit available to issue


def test_a_blinded_investigator_has_no_way_to_the_lots(page, demo_server):
    log_in(page, demo_server.url, "investigator")
    assert page.locator("nav >> text=Lots").count() == 0
    response = page.goto(f"{demo_server.url}/product/lots")
    assert response.status == 403
    assert "UCM-DEMO" not in page.content() and "PLA-DEMO" not in page.content()
