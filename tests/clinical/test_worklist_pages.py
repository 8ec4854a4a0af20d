"""The home worklist in the app: each role's items, each linked to where it is done, with site
isolation and nothing that tells the arms apart."""

from __future__ import annotations

import re

from msctrial.clinical.subjects.screening import prescreen_patient
from tests.clinical.visits_support import consented_subject, randomised_subject

ARMS = ("UC-MSC", "Placebo")


def section(html: str, key: str) -> str:
    match = re.search(rf'<section class="card worklist" id="work-{key}".*?</section>', html, re.S)
    assert match, f"the home page has no {key} section"
    return match.group(0)


def test_site_staff_see_patients_awaiting_consent_and_randomisation_at_their_sites_only(
    session, trial, login_as
):
    waiting = prescreen_patient(session, trial.actor("investigator"), "WUH").subject_code
    eligible = consented_subject(session, trial, "WUH")
    elsewhere = prescreen_patient(session, trial.actor("investigator.bjs"), "BJS").subject_code
    session.commit()
    home = login_as("coordinator").get("/").text
    consent = section(home, "consent")
    assert f'href="/clinical/subjects/{waiting}#consent"' in consent
    assert f'href="/clinical/subjects/{eligible}/randomise"' in section(home, "randomisation")
    assert elsewhere not in home


def test_another_sites_investigator_sees_none_of_its_patients(session, trial, login_as):
    waiting = prescreen_patient(session, trial.actor("investigator"), "WUH").subject_code
    session.commit()
    home = login_as("investigator.bjs").get("/").text
    assert waiting not in home
    assert "No patient is waiting for consent." in section(home, "consent")


def test_an_infusion_due_today_is_on_the_wards_and_the_pharmacys_lists(
    session, trial, rand_list, login_as
):
    code = randomised_subject(session, trial, "WUH")
    session.commit()
    client = login_as("coordinator")
    ward = client.get("/").text
    due = section(ward, "administrations")
    assert f"{code}: Day 0 infusion" in due and "waiting for the pharmacy" in due
    assert f'href="/clinical/subjects/{code}#administrations"' in due
    assert not any(arm in ward for arm in ARMS)
    client.cookies.clear()
    pharmacy = section(login_as("pharmacist").get("/").text, "doses")
    assert f'href="/clinical/subjects/{code}/administrations/1/dispense"' in pharmacy


def test_the_sponsor_sees_enrolment_against_target_with_a_text_alternative(
    session, trial, rand_list, login_as
):
    randomised_subject(session, trial, "WUH")
    randomised_subject(session, trial, "BJS")
    session.commit()
    home = login_as("admin").get("/").text
    assert 'id="enrolment"' in home and "<svg" in home
    alt = re.findall(r'<span class="alt">([^<]+)</span>', home)
    assert alt[0].startswith("2 subjects randomised of a target of ")
    assert any(a.startswith("1 subject randomised at BJS") for a in alt)
    assert "Enrolment at WUH" in home
    assert not any(arm in home for arm in ARMS)


def test_a_monitor_sees_open_queries_by_age_and_overdue_visits(session, trial, login_as):
    home = login_as("monitor").get("/").text
    assert 'id="query-ages"' in home
    for key in ("monitor-queries", "overdue", "unblindings"):
        section(home, key)
    assert "Your work today" in home


def test_qc_sees_lots_awaiting_release_and_no_subject(session, trial, login_as):
    home = login_as("qc").get("/").text
    assert "Lots awaiting results or release" in section(home, "lots-qc")
    assert "Awaiting consent" not in home


def test_a_serious_event_puts_its_report_clock_on_the_sites_list_in_site_time(
    session, trial, rand_list, login_as
):
    from msctrial.clinical.safety import service as safety
    from tests.clinical.test_ae_no_defaults import full_event

    code = randomised_subject(session, trial, "WUH", days_ago=6)
    session.rollback()
    event = safety.report_ae(
        session, trial.actor("investigator"), code, full_event(session, trial, code)
    )
    session.commit()
    clocks = section(login_as("coordinator").get("/").text, "sae-clocks")
    assert f'href="/adverse-events/{event.id}"' in clocks and "Acute kidney injury" in clocks
    assert "CST</time>" in clocks  # Wuhan's clock (Asia/Shanghai), with its zone
