"""The clinical pages as a browser posts them: forms, CSRF, errors shown on the form."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from msctrial.clinical.randomisation.service import randomise_subject
from msctrial.clinical.subjects.tables import Subject
from msctrial.demo.spine import demo_password
from tests.clinical.conftest import criteria


def screen_form(session, **changes):
    inc, exc = criteria(session)
    data = {
        "year_of_birth": "1961",
        "sex": "female",
        "weight_kg": "64",
        "respiratory_rate": "31",
        "spo2_rest_pct": "92",
        "pao2_mmhg": "66",
        "fio2": "0.3",
        "pneumonia_on_imaging": "yes",
    }
    data.update({f"inc_{i}": "yes" for i in range(len(inc))})
    data.update({f"exc_{i}": "no" for i in range(len(exc))})
    data.update(changes)
    return data


def post_form(client, path, data, form_path=None):
    from tests.web.conftest import csrf_of

    page = client.get(form_path or path)
    return client.post(path, data={**data, "csrf_token": csrf_of(page.text)})


def log_and_consent(client) -> str:  # noqa: ANN001
    """The page order: a number on the screening log, then consent; the subject's path."""
    r = post_form(client, "/clinical/screen", {"site": "WUH"})
    assert r.status_code == 303, r.text
    path = r.headers["location"]
    page = client.get(path).text
    assert 'id="awaiting-consent"' in page and 'id="screen-link"' not in page
    signed = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).astimezone(
        dt.timezone(dt.timedelta(hours=8))
    )
    r = post_form(
        client,
        f"{path}/consent",
        {
            "form_version": "2.1",
            "consented_at": signed.strftime("%Y-%m-%dT%H:%M"),
            "signer": "subject",
        },
        form_path=path,
    )
    assert r.status_code == 303, r.text
    return path


def test_the_screening_form_opens_only_after_consent(session, login_as):
    client = login_as("investigator")
    r = post_form(client, "/clinical/screen", {"site": "WUH"})
    path = r.headers["location"]
    refused = post_form(client, f"{path}/screen", screen_form(session), form_path=path)
    assert refused.status_code == 409 and "record informed consent" in refused.text
    assert session.scalar(select(Subject.year_of_birth)) is None


def test_screening_form_shows_the_severity_and_its_reasons(session, login_as):
    client = login_as("investigator")
    path = log_and_consent(client)
    r = post_form(client, f"{path}/screen", screen_form(session))
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    assert 'id="severity">severe' in page
    assert "RR 31/min ≥ 30/min" in page


def test_an_implausible_value_is_shown_on_the_form_and_nothing_is_saved(session, login_as):
    client = login_as("investigator")
    path = log_and_consent(client)
    r = post_form(client, f"{path}/screen", screen_form(session, fio2="21"))
    assert r.status_code == 422
    assert "fio2" in r.text and "not a fraction" in r.text
    assert session.scalar(select(Subject.year_of_birth)) is None


def test_consent_and_randomise_from_the_subject_page(session, login_as, rand_list, stock):
    client = login_as("investigator")
    path = log_and_consent(client)
    code = path.rsplit("/", 1)[1]
    r = post_form(client, f"{path}/screen", screen_form(session))
    assert r.status_code == 303, r.text
    confirm = client.get(f"{path}/randomise")
    assert confirm.status_code == 200 and "Sign and randomise" in confirm.text
    key = re.search(r'name="request_key" value="([0-9a-f]+)"', confirm.text).group(1)
    fields = {"password": demo_password("investigator"), "request_key": key}
    r = post_form(client, f"{path}/randomise", fields, form_path=f"{path}/randomise")
    assert r.status_code == 303, r.text
    page = client.get(path).text
    assert re.search(r'id="randomisation-no">R\d+-[0-9A-F]{10}', page)
    for secret in ("UC-MSC", "Placebo", "placebo"):
        assert secret not in page
    assert code in client.get("/clinical").text


def test_the_pharmacist_voids_a_dispensing_error_from_the_subject_page(
    session, trial, login_as, rand_list, stock
):
    from msctrial.clinical.dosing.tables import Dispensation
    from msctrial.clinical.randomisation.tables import Allocation
    from tests.clinical.conftest import enrol
    from tests.clinical.test_dispensing import dispense, units_for

    inv = trial.actor("investigator")
    code = enrol(session, inv)
    view = randomise_subject(session, inv, code, password=trial.passwords["investigator"])
    arm = session.scalar(select(Allocation.arm))
    dispense(session, trial, code, units_for(arm, stock))
    session.rollback()
    client = login_as("pharmacist")
    path = f"/clinical/subjects/{code}"
    r = post_form(client, f"{path}/administrations/1/dispense/void", {"reason": ""}, path)
    assert r.status_code == 422 and "reason" in r.text
    r = post_form(client, f"{path}/administrations/1/dispense/void", {"reason": "torn"}, path)
    assert r.status_code == 303
    assert view.randomisation_no in client.get(path).text
    session.expire_all()
    assert session.scalar(select(Dispensation.void_reason)) == "torn"
    session.rollback()
