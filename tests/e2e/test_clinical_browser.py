"""In real Chromium, one patient through the trial: screen → consent → randomise → dispense →
infuse at the bedside (clinical part 2 continues the same patient: visit → adverse event)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from msctrial.clinical.randomisation.service import set_up_randomisation
from msctrial.core.db import make_engine
from msctrial.core.session import make_sessionmaker
from msctrial.core.settings import Settings
from msctrial.demo import build_demo
from msctrial.demo.spine import demo_password
from tests.e2e.conftest import LiveServer, log_in

pytestmark = pytest.mark.browser
WUH = ZoneInfo("Asia/Shanghai")  # the demo's Wuhan site clock: forms are in site time


@pytest.fixture(scope="module")
def trial_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The demo trial with a randomisation list, served on a free port."""
    from msctrial.clinical.randomisation.tables import RandomisationList
    from msctrial.core.users import get_user, load_actor

    db: Path = tmp_path_factory.mktemp("clinical") / "demo.db"
    settings = Settings(database_url=f"sqlite:///{db}", demo=True, cookie_secure=False)
    build_demo(settings, subjects=4, seed=5)
    engine = make_engine(settings)
    with make_sessionmaker(engine)() as session:
        if session.scalar(select(RandomisationList.id)) is None:
            admin = load_actor(session, get_user(session, "admin"))
            set_up_randomisation(session, admin, seed="browser-seed-000000001")
    engine.dispose()
    with LiveServer(settings) as server:
        yield server


def site_time(minutes_ago: int) -> str:
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes_ago)
    return now.astimezone(WUH).strftime("%Y-%m-%dT%H:%M")


def log_out(page) -> None:  # noqa: ANN001
    page.click("form.logout button")
    page.wait_for_url("**/login")


def test_a_patient_is_screened_consented_randomised_dispensed_and_infused(page, trial_server):
    url = trial_server.url

    # Consent first: a number on the screening log, informed consent, then the screening.
    log_in(page, url, "investigator")
    page.click("nav >> text=Subjects")
    page.click("text=New patient on the screening log")
    page.select_option("#site", "WUH")
    page.click("#prescreen-form button[type=submit]")
    page.wait_for_url("**/clinical/subjects/*")
    code = page.url.rsplit("/", 1)[1]
    assert "before any screening data" in page.locator("#awaiting-consent").inner_text()
    assert page.locator("#screen-link").count() == 0
    page.fill("#form_version", "1.0 (2026-01-10)")
    page.fill("#consented_at", site_time(90))
    page.click("#consent-form button[type=submit]")
    page.wait_for_load_state()
    assert "Form version 1.0 (2026-01-10)" in page.locator("#consent").inner_text()

    # Screening by the investigator at Wuhan: severe by SpO2 and RR, eligible.
    page.click("#screen-link")
    page.fill("#year_of_birth", "1962")
    page.select_option("#sex", "male")
    page.fill("#weight_kg", "70")
    page.fill("#respiratory_rate", "32")
    page.fill("#spo2_rest_pct", "91")
    page.select_option("#pneumonia_on_imaging", "yes")
    for select_ in page.locator("select[id^=inc_]").all():
        select_.select_option("yes")
    for select_ in page.locator("select[id^=exc_]").all():
        select_.select_option("no")
    page.click("#screen-form button[type=submit]")
    page.wait_for_url(f"**/clinical/subjects/{code}")
    assert page.locator("#severity").inner_text() == "severe"
    assert page.locator("#eligible").inner_text() == "yes"
    assert "RR 32/min ≥ 30/min" in page.locator("#reasons").inner_text()

    # Randomisation, signed: the investigator checks the stratum and sees a number, never the arm.
    page.click("#randomise-link")
    page.wait_for_load_state()
    assert "severity" in page.locator("#strata").inner_text().lower()
    page.fill("#password", demo_password("investigator"))
    page.click("#randomise-form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#randomisation-no").inner_text().startswith("R")
    assert page.locator("#arm").count() == 0
    body = page.content()
    assert "UC-MSC" not in body and "Placebo" not in body
    log_out(page)

    # The pharmacist prepares administration 1 with units of the subject's arm.
    log_in(page, url, "pharmacist")
    page.click("nav >> text=Pharmacy")
    page.click(f"#tasks tr:has-text('{code}') >> text=Dispense")
    # 70 kg × 2×10^6/kg from 10^8 cells per 50 mL: two bags, whichever the arm.
    assert "exactly 2 unit(s) of 50.0 mL" in page.locator("#plan").inner_text()
    checked = page.locator("input[name=unit]:checked")
    units = [checked.nth(i).get_attribute("value") for i in range(checked.count())]
    assert len(units) == 2
    page.fill("#thawed_at", site_time(45))
    page.click("#dispense-form button[type=submit]")
    page.wait_for_url(f"**/clinical/subjects/{code}")
    assert page.locator("#administrations .state").first.inner_text() == "dispensed"
    log_out(page)

    # At the bedside, before the infusion: a unit not dispensed for this patient is refused
    # (and the refusal recorded), the right ones pass; only then is the infusion recorded.
    log_in(page, url, "coordinator")
    page.goto(f"{url}/clinical/subjects/{code}")
    page.click("text=Verify at bedside, then infuse")
    assert page.locator("#infusion-form").count() == 0
    assert "only after a passed bedside check" in page.locator("#infusion-waits").inner_text()

    def verify(scanned: list[str]) -> None:
        page.fill("#scanned", "\n".join(scanned))
        page.click("#bedside-check-form button[type=submit]")
        page.wait_for_load_state()

    verify([*units[:-1], "U-AAAAAAAAAAAA"])
    refused = page.locator("#check-refused").inner_text()
    assert "Do not infuse" in refused and "U-AAAAAAAAAAAA was not dispensed" in refused
    assert page.locator("#infusion-form").count() == 0
    verify(units)
    assert "Check passed" in page.locator("#check-passed").inner_text()
    vitals = {
        "heart_rate": "88",
        "systolic_bp": "124",
        "diastolic_bp": "78",
        "respiratory_rate": "24",
        "temperature_c": "37.1",
        "spo2_pct": "94",
    }

    def fill_infusion() -> None:
        page.fill("#started_at", site_time(0))
        page.fill("#stopped_at", site_time(0))
        page.fill("#volume_ml", "100")
        for when in ("before", "after"):
            for name, value in vitals.items():
                page.fill(f"#{when}_{name}", value)
        page.click("#infusion-form button[type=submit]")
        page.wait_for_load_state()

    fill_infusion()
    page.wait_for_url(f"**/clinical/subjects/{code}")
    assert page.locator("#administrations .state").first.inner_text() == "given"
    assert units[0] in page.locator("#infusions").inner_text()
    body = page.content()
    assert not any(word in body for word in ("UC-MSC", "Placebo", "UCM-DEMO", "PLA-DEMO"))

    # --- clinical part 2 continues here with the same patient (`code`, logged in as the
    # coordinator): enter a visit → report an adverse event. ---
