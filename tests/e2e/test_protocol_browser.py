"""In real Chromium: log in, read the protocol and its findings, log out."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import log_in

pytestmark = pytest.mark.browser


def test_a_monitor_logs_in_reads_the_protocol_findings_and_logs_out(page, demo_server):
    log_in(page, demo_server.url, "monitor")
    page.click("nav >> text=Protocol")
    assert page.locator("h1").inner_text().startswith("Umbilical cord MSCs")
    assert "meets every rule" in page.locator("#findings").inner_text()
    page.click("form.logout button")
    assert page.url.endswith("/login")
    page.goto(f"{demo_server.url}/protocol")
    assert "/login" in page.url


def test_a_wrong_password_is_refused_without_saying_whether_the_user_exists(page, demo_server):
    log_in(page, demo_server.url, "monitor", "wrong-password")
    known = page.locator("[role=alert]").inner_text()
    log_in(page, demo_server.url, "nobody-at-all", "wrong-password")
    unknown = page.locator("[role=alert]").inner_text()
    assert known == unknown == "unknown username or wrong password"
