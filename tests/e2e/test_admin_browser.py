"""In real Chromium: an administrator creates a user with a role, changes a role, deactivates
a user whose open session then ends, and creates a site after a wrong pressure is shown beside
its field; QC records a lot through the lot form."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import log_in

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a long and unusual passphrase"


def _user_page(page, base: str, username: str) -> None:  # noqa: ANN001
    page.goto(f"{base}/admin/users")
    page.click(f"tr[data-user='{username}'] >> text={username}")


def test_an_administrator_creates_a_user_who_then_logs_in_with_the_role(page, browser, demo_server):
    log_in(page, demo_server.url, "admin")
    page.click("nav >> text=Users and sites")
    page.click("main a[href='/admin/users']")
    page.fill("#username", "nurse.li")
    page.fill("#full_name", "Li Na (coordinator, BJS)")
    page.fill("#password", "nurse.li")
    page.select_option("#role-0", "coordinator")
    page.select_option("#site-0", "BJS")
    page.click("#new-user button[type=submit]")
    error = page.locator("#password-error")
    assert "must be at least 12 characters" in error.inner_text()
    assert page.get_attribute("#password", "aria-invalid") == "true"
    assert page.input_value("#username") == "nurse.li"  # what was typed stays
    page.fill("#password", NEW_PASSWORD)
    page.click("#new-user button[type=submit]")
    assert "User created." in page.locator("#notice").inner_text()
    assert page.locator("tr[data-grant='coordinator@BJS']").count() == 1

    context = browser.new_context()
    try:
        theirs = context.new_page()
        log_in(theirs, demo_server.url, "nurse.li", NEW_PASSWORD)
        assert "Li Na" in theirs.locator(".who").inner_text()
        assert theirs.locator("nav >> text=Subjects").count() == 1
        assert theirs.locator("nav >> text=Users and sites").count() == 0
    finally:
        context.close()


def test_an_administrator_adds_a_role_and_removes_it_saying_why(page, demo_server):
    log_in(page, demo_server.url, "admin")
    _user_page(page, demo_server.url, "statistician")
    page.select_option("#role", "dsmb")
    page.click("#add-role button[type=submit]")
    assert "Role added." in page.locator("#notice").inner_text()
    row = page.locator("tr[data-grant='dsmb']")
    row.locator("button").click()
    assert "a reason is required" in page.locator("[role=alert]").first.inner_text()
    row = page.locator("tr[data-grant='dsmb']")
    row.locator("input[name=reason]").fill("DSMB seat given to someone else")
    row.locator("button").click()
    assert "Role removed" in page.locator("#notice").inner_text()
    assert page.locator("tr[data-grant='dsmb']").count() == 0
    page.goto(f"{demo_server.url}/admin/users")
    assert page.locator("tr[data-user='statistician'] .roles").inner_text() == "statistician"


def test_deactivating_a_user_logs_their_open_browser_out_on_its_next_request(
    page, browser, demo_server
):
    context = browser.new_context()
    try:
        theirs = context.new_page()
        log_in(theirs, demo_server.url, "coordinator")
        theirs.goto(f"{demo_server.url}/clinical")
        assert theirs.locator("form.logout").count() == 1

        log_in(page, demo_server.url, "admin")
        _user_page(page, demo_server.url, "coordinator")
        page.click("#activation button[type=submit]")
        assert "reason" in page.locator("#activation-reason-error").inner_text()
        page.fill("#activation-reason", "left the hospital")
        page.click("#activation button[type=submit]")
        assert "sessions have ended" in page.locator("#notice").inner_text()
        assert page.locator("#status").inner_text() == "deactivated"

        theirs.goto(f"{demo_server.url}/clinical")
        assert "/login" in theirs.url
        assert theirs.locator("form.logout").count() == 0
    finally:
        context.close()
    page.fill("#activation-reason", "came back")
    page.click("#activation button[type=submit]")
    assert page.locator("#status").inner_text() == "active"


def test_a_site_with_a_pressure_in_hpa_is_refused_beside_the_field_then_created(page, demo_server):
    log_in(page, demo_server.url, "admin")
    page.goto(f"{demo_server.url}/admin/sites")
    page.fill("#code", "LHS")
    page.fill("#name", "Lhasa People's Hospital")
    page.fill("#country", "CN")
    page.fill("#timezone", "Asia/Shanghai")
    page.fill("#altitude_m", "3650")
    page.fill("#barometric_pressure_mmhg", "1013")  # hPa at sea level, where mmHg is asked
    page.click("#new-site button[type=submit]")
    error = page.locator("#barometric_pressure_mmhg-error")
    assert "must lie between 300 and 800 mmHg" in error.inner_text()
    assert page.get_attribute("#barometric_pressure_mmhg", "aria-invalid") == "true"
    assert page.locator("tr[data-site='LHS']").count() == 0
    # Lhasa, about 3,650 m: PB ≈ 489 mmHg (standard atmosphere)
    page.fill("#barometric_pressure_mmhg", "489")
    page.click("#new-site button[type=submit]")
    assert "Site created." in page.locator("#notice").inner_text()
    page.click("text=All sites")
    row = page.locator("tr[data-site='LHS']")
    assert "489" in row.inner_text() and "3650" in row.inner_text()


def test_qc_records_a_placebo_lot_with_the_form(page, demo_server):
    log_in(page, demo_server.url, "qc")
    page.click("nav >> text=Lots")
    page.click("#lot-form-link")
    page.fill("#lot", "PLA-2026-301")
    page.select_option("#product", "PLACEBO")
    page.select_option("#specification", "placebo-saline-albumin@1.0")
    page.fill("#process_version", "1.0")
    page.fill("#manufactured_on", "2026-11-02")
    page.fill("#storage_location", "LN2 tank 2, rack C, box 4")
    page.fill("[name='units.count']", "lots")
    page.click("#lot-form button[type=submit]")
    assert "units.count" in page.locator("[id='units.count-error']").inner_text()
    assert "units.volume_ml" in page.locator("[id='units.volume_ml-error']").inner_text()
    assert page.input_value("#lot") == "PLA-2026-301"
    page.fill("[name='units.count']", "12")
    page.fill("[name='units.volume_ml']", "50")
    page.click("#lot-form button[type=submit]")
    assert page.locator("#lot-status").inner_text() == "quarantine"
    assert "PLA-2026-301" in page.locator("h1").inner_text()
    assert page.locator("#units tbody tr").count() == 12
