"""In real Chromium: log in, read the protocol and its findings, upload a new version, log out."""

from __future__ import annotations

import pytest
import yaml

from msctrial.demo.spine import reference_protocol_text
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.browser


def test_a_monitor_logs_in_reads_the_protocol_findings_and_logs_out(page, demo_server):
    log_in(page, demo_server.url, "monitor")
    page.click("nav >> text=Protocol")
    assert page.locator("h1").inner_text().startswith("Umbilical cord MSCs")
    assert "meets every rule" in page.locator("#findings").inner_text()
    assert page.locator("#upload").count() == 0  # only an admin uploads
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


def test_an_admin_uploads_a_version_and_sees_its_deviations(page, demo_server, tmp_path):
    data = yaml.safe_load(reference_protocol_text())
    data["version"] = "2.0"
    data["arms"][0]["dosing"]["dose"] = "0.5e6 cells/kg"
    data["arms"][0]["dosing"]["schedule"] = {"days": [1, 3, 5, 7]}
    path = tmp_path / "protocol-2.0.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))

    log_in(page, demo_server.url, "admin")
    page.click("nav >> text=Protocol")
    page.set_input_files("#file", str(path))
    page.fill("#reason", "dose-finding amendment")
    page.click("#upload button[type=submit]")
    page.wait_for_load_state()
    assert "Saved as protocol version 2." in page.locator("[role=status]").first.inner_text()
    findings = page.locator("#findings").inner_text()
    assert "3 deviations" in findings
    for rule in ("too_many_infusions", "dose_per_kg_low", "interval_short"):
        assert rule in findings
    assert "dose-finding amendment" in page.content()
    page.click("form.logout button")
    assert page.url.endswith("/login")
