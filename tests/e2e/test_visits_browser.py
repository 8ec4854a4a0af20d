"""In real Chromium, after the infusion (``test_clinical_browser.py`` drives screening to the
bedside in the browser): the coordinator enters a visit and the post-infusion check, reports a
serious adverse event whose report clock starts; the monitor raises a query the site answers."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from msctrial.clinical.dosing.dispensing import dispense_administration
from msctrial.clinical.randomisation.allocation import allocation_of
from msctrial.clinical.randomisation.service import randomise_subject
from msctrial.clinical.subjects.access import get_subject
from msctrial.core.db import make_engine
from msctrial.core.session import make_sessionmaker
from msctrial.core.settings import Settings
from msctrial.demo import build_demo
from msctrial.demo.spine import demo_password
from tests.clinical.conftest import check_and_infuse, consent_and_screen
from tests.e2e.conftest import LiveServer, log_in

pytestmark = pytest.mark.browser


def _infused_patient(settings: Settings) -> str:
    """A WUH patient screened, consented, randomised, dispensed and infused 30 minutes ago."""
    from msctrial.core.users import get_user, load_actor
    from msctrial.product import service as product
    from msctrial.protocol.service import get_protocol, only_trial
    from msctrial.simulation.events import VITALS

    engine = make_engine(settings)
    with make_sessionmaker(engine)() as s:
        inv, coord, pharm = (
            load_actor(s, get_user(s, u)) for u in ("investigator", "coordinator", "pharmacist")
        )
        elig = get_protocol(s, only_trial(s).code).protocol.eligibility
        now = dt.datetime.now(dt.UTC)
        code = consent_and_screen(
            s,
            inv,
            "WUH",
            consented_at=now - dt.timedelta(hours=5),
            year_of_birth=1964,
            sex="female",
            weight_kg=64,
            observations={
                "pneumonia_on_imaging": True,
                "respiratory_rate": 31,
                "spo2_rest_pct": 92,
            },
            inclusion_met={c: True for c in elig.inclusion},
            exclusion_present={c: False for c in elig.exclusion},
            observed_at=now - dt.timedelta(hours=4),
        ).subject.subject_code
        randomise_subject(
            s, inv, code, password=demo_password(inv.username), at=now - dt.timedelta(hours=2)
        )
        subject = get_subject(s, pharm, code)
        arm = allocation_of(s, subject).arm
        kind = "cells" if arm == "UC-MSC" else "placebo"
        stock = product.available_units(s, pharm, kind=kind, now=now)
        units = [u.code for u in stock[:2]]  # two bags in either arm: 64 kg × 2×10^6/kg
        dispense_administration(
            s,
            pharm,
            code,
            1,
            unit_codes=units,
            thawed_at=now - dt.timedelta(minutes=80),
            now=now - dt.timedelta(minutes=70),
        )
        check_and_infuse(
            s,
            coord,
            code,
            1,
            scanned_unit_codes=units,
            started_at=now - dt.timedelta(minutes=60),
            stopped_at=now - dt.timedelta(minutes=30),
            volume_ml=100,
            vitals_before=VITALS,
            vitals_after={**VITALS, "temperature_c": 38.6},
            reactions=["fever"],
        )
    engine.dispose()
    return code


@pytest.fixture(scope="module")
def visit_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    db: Path = tmp_path_factory.mktemp("visits") / "demo.db"
    settings = Settings(database_url=f"sqlite:///{db}", demo=True, cookie_secure=False)
    build_demo(settings, subjects=3, seed=11)  # the simulator also sets up the randomisation list
    code = _infused_patient(settings)
    with LiveServer(settings) as server:
        yield server, code


def log_out(page) -> None:  # noqa: ANN001
    page.click("form.logout button")
    page.wait_for_url("**/login")


def test_after_the_infusion_a_visit_is_entered_and_an_adverse_event_reported(page, visit_server):
    server, code = visit_server
    url = server.url

    # The coordinator opens the record home from the Visits page.
    log_in(page, url, "coordinator")
    page.click("nav >> text=Visits")
    page.click(f"#matrix >> text={code}")
    page.wait_for_url(f"**/clinical/subjects/{code}*")
    assert "UC-MSC" not in page.content() and "Placebo" not in page.content()

    # Day 0 vital signs, the temperature typed in °F; an implausible SpO2 is refused first.
    page.click("tr[data-visit='day-0'] a[href$='/forms/vital_signs']")
    page.fill("#i-respiratory_rate", "27")
    page.fill("#i-heart_rate", "104")
    page.fill("#i-temperature", "101.3")
    page.select_option("select[name=temperature__unit]", "degF")
    page.fill("#i-spo2", "150")
    page.click("#entry-form button[type=submit]")
    assert "vital_signs.spo2" in page.locator("[role=alert]").inner_text()
    assert page.locator("#i-heart_rate").input_value() == "104"  # what was typed is kept
    page.fill("#i-spo2", "93")
    page.click("#entry-form button[type=submit]")
    page.wait_for_url("**/entries/*")
    temperature = page.locator("tr[data-item=temperature]").inner_text()
    assert "38.5 degC" in temperature and "101.3 degF" in temperature

    # The expected-reaction check after the infusion: a fever of 39.2 °C becomes a grade-2 AE.
    page.goto(f"{url}/clinical/subjects/{code}")
    page.click("#infusions >> text=ask about reactions")
    assert "after the Day 0 infusion" in page.locator("h1").inner_text()  # by day, not id
    page.check("#fever")
    page.fill("#max_temperature_c", "39.2")
    page.click("#reaction-form button[type=submit]")
    page.wait_for_url(f"**/clinical/subjects/{code}*")
    assert "Fever" in page.locator("#adverse-events").inner_text()

    # A serious adverse event: the 24-hour clock to the sponsor starts.
    page.click("#report-ae")
    page.fill("#term", "Pneumothorax")
    page.fill("#onset_date", dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat())
    page.select_option("#grade", "3")
    page.check("input[name=seriousness][value=hospitalisation]")
    page.select_option("#relationship_product", "unlikely")
    page.select_option("#relationship_infusion", "not_related")
    page.select_option("#expectedness", "expected")  # no default (issue 9, hole 7)
    page.select_option("#outcome", "recovering")
    page.click("#ae-form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("[role=alert]").count() == 0, page.locator("[role=alert]").inner_text()
    page.wait_for_url(re.compile(r".*/adverse-events/\d+$"))
    ae_path = page.url.split(url, 1)[1]
    assert "yes: hospitalisation" in page.locator("#ae-serious").inner_text()
    assert "SAE report to the sponsor (24 h)" in page.locator("#ae-reports").inner_text()
    assert "due" in page.locator("#ae-reports").inner_text()
    log_out(page)

    # The monitor sees the report's clock and asks about the event; the coordinator answers.
    log_in(page, url, "monitor")
    page.click("nav >> text=Adverse events")
    assert "Pneumothorax" in page.locator("#sae-reports").inner_text()
    page.goto(f"{url}{ae_path}")
    page.fill("#q-text", "Was a chest drain placed? Please add it to the description.")
    page.click("form[action='/queries'] button[type=submit]")
    page.wait_for_url("**/queries/*")
    query_path = page.url.split(url, 1)[1]
    log_out(page)
    log_in(page, url, "coordinator")
    page.goto(f"{url}{query_path}")
    page.fill("#answer", "Yes, on day 0; description updated.")
    page.click(f"form[action='{query_path}/answer'] button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#query-status").inner_text() == "answered"
    assert "UC-MSC" not in page.content() and "Placebo" not in page.content()


def test_a_suspected_susar_is_unblinded_to_the_sponsors_safety_officer_only(page, visit_server):
    """SAE → sponsor assessment (issue 9, hole 6): the investigator reports a serious, related,
    unexpected event and files it to the sponsor; the safety officer signs the unblinding of
    that case; the investigator then sees only that the assessment is complete."""
    server, code = visit_server
    url = server.url
    log_in(page, url, "investigator")
    page.goto(f"{url}/casebook/{code}/adverse-events/new")
    page.fill("#term", "Acute kidney injury")
    page.fill("#onset_date", dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat())
    page.select_option("#grade", "3")
    page.check("input[name=seriousness][value=hospitalisation]")
    page.select_option("#relationship_product", "possible")
    page.select_option("#relationship_infusion", "possible")
    page.select_option("#expectedness", "unexpected")
    page.select_option("#outcome", "recovering")
    page.click("#ae-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/adverse-events/\d+$"))
    ae_path = page.url.split(url, 1)[1]
    page.fill("#ae-reports input[name=reference]", "SP-042")
    page.click("#ae-reports button[type=submit]")
    page.wait_for_load_state()
    assert "sponsor assessment pending" in page.locator("#ae-serious").inner_text()
    log_out(page)

    log_in(page, url, "safety")
    page.click("nav >> text=SUSARs")
    page.click("#susars >> text=Acute kidney injury")
    page.wait_for_url("**/safety/susars/*")
    assert page.locator("#unblinded-arm").count() == 0
    assert "15 days" in page.locator("#regulatory-reports").inner_text()
    page.fill("#assess-reason", "causality assessment")
    page.fill("#password", demo_password("safety"))
    page.click("#assess-form button[type=submit]")
    page.wait_for_load_state()
    arm = page.locator("#unblinded-arm").inner_text()
    conclusion = page.locator("#conclusion").inner_text()
    if arm.startswith("Placebo"):
        assert conclusion == "not a SUSAR: the subject received placebo"
        assert "stopped" in page.locator("#regulatory-reports").inner_text()
    else:
        assert arm.startswith("UC-MSC") and conclusion.startswith("SUSAR:")
        assert "Filed now" in page.locator("#regulatory-reports").inner_text()
    log_out(page)

    log_in(page, url, "investigator")
    page.goto(f"{url}{ae_path}")
    assert "sponsor assessment complete" in page.locator("#ae-serious").inner_text()
    assert "UC-MSC" not in page.content() and "Placebo" not in page.content()
