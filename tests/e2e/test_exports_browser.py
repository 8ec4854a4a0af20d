"""In real Chromium: the monitor starts an SDTM export on the Exports page and watches it run —
the page refreshes itself, the progress bar fills, and the finished files appear with their
validators' verdicts, with no arm anywhere."""

from __future__ import annotations

import time

import pytest

from msctrial.exchange import sdtm_export
from msctrial.web import export_jobs
from tests.e2e.conftest import log_in

pytestmark = pytest.mark.browser

ARM_WORDS = ("UC-MSC", "Placebo")


@pytest.fixture
def slow_export(monkeypatch):  # noqa: ANN001, ANN201
    """Small chunks and a pause at each report, so the demo's export runs for a few seconds."""
    monkeypatch.setattr(sdtm_export, "CHUNK", 40)
    update = export_jobs.Job.update

    def slowly(self, progress):  # noqa: ANN001, ANN202
        update(self, progress)
        time.sleep(0.4)

    monkeypatch.setattr(export_jobs.Job, "update", slowly)


def _state(page) -> tuple[str | None, str | None]:  # noqa: ANN001
    """The progress card's state and percentage, read between two refreshes."""
    for _ in range(50):
        try:
            card = page.locator("#export-progress")
            if card.count():
                return (card.get_attribute("data-state", timeout=1000),
                        card.get_attribute("data-percent", timeout=1000))  # fmt: skip
        except Exception:  # noqa: BLE001, S110 - the page was refreshing; read it again
            pass
        time.sleep(0.1)
    return None, page.content()[-300:]


def test_a_running_export_shows_its_progress_until_it_is_done(page, demo_server, slow_export):  # noqa: ANN001
    log_in(page, demo_server.url, "monitor")
    page.goto(f"{demo_server.url}/exports")
    page.select_option("select[name=kind]", "sdtm")
    page.click("form[action='/exports'] button[type=submit]")
    page.wait_for_selector("#export-progress")
    assert "/exports?job=" in page.url
    assert _state(page)[0] == "running"
    assert page.locator("#export-progress progress").count() == 1
    seen, states = set(), []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        state, percent = _state(page)
        states.append((state, percent))
        if state == "running" and percent:
            seen.add(int(percent))
        if state in ("done", "failed"):
            break
        time.sleep(0.3)
    assert states[-1][0] == "done", states[-5:]
    assert _state(page) == ("done", "100")
    assert [p for p in seen if p < 100], f"no percentage below 100 was shown: {seen}"
    text = page.inner_text("main") if page.locator("main").count() else page.inner_text("body")
    assert "Exported" in text and "define.xml" in text and "Define-XML 2.1 XSD" in text
    assert not [w for w in ARM_WORDS if w in text]
    time.sleep(1.5)  # a finished export's page refreshes no more
    assert _state(page) == ("done", "100")
