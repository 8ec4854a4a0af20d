"""The clinical workflow through the JSON API and the pages, with blinding on raw bodies."""

from __future__ import annotations

import datetime as dt

from msctrial.demo.spine import demo_password
from tests.clinical.conftest import SEVERE, criteria
from tests.clinical.test_dispensing import VITALS


def screen_body(session):
    inc, exc = criteria(session)
    return {
        "year_of_birth": 1958,
        "sex": "male",
        "weight_kg": 72,
        "observations": SEVERE,
        "inclusion_met": inc,
        "exclusion_present": exc,
    }


def test_the_api_screens_consents_randomises_dispenses_and_infuses(
    session, client, token, rand_list, stock
):
    inv, pharm, coord = token("investigator"), token("pharmacist"), token("coordinator")
    r = client.post("/api/v1/clinical/subjects", json={"site": "WUH"}, headers=coord)
    assert r.status_code == 201, r.text
    code = r.json()["subject_code"]
    now = dt.datetime.now(dt.UTC)
    r = client.post(
        f"/api/v1/clinical/subjects/{code}/consents",
        json={"form_version": "1.0", "consented_at": (now - dt.timedelta(hours=2)).isoformat()},
        headers=coord,
    )
    assert r.status_code == 201, r.text
    r = client.post(
        f"/api/v1/clinical/subjects/{code}/screenings", json=screen_body(session), headers=inv
    )
    assert r.status_code == 200, r.text
    assert r.json()["screening"]["severity"] == "severe"
    r = client.post(
        f"/api/v1/clinical/subjects/{code}/randomise",
        json={"password": demo_password("investigator")},
        headers=inv,
    )
    assert r.status_code == 200, r.text
    assert "arm" not in r.json() and r.json()["status"] == "randomised"
    tasks = client.get("/api/v1/clinical/pharmacy", headers=pharm).json()
    kind = tasks[0]["kind"]
    plan = client.get(
        f"/api/v1/clinical/subjects/{code}/administrations/1/dispensing-plan", headers=pharm
    ).json()
    assert (plan["units"], plan["unit_volume_ml"]) == (3, 50.0)  # 70 kg, 5×10^7 per 50 mL
    units = plan["proposed"]
    r = client.post(
        f"/api/v1/clinical/subjects/{code}/administrations/1/dispense",
        json={"unit_codes": units, "thawed_at": (now - dt.timedelta(minutes=50)).isoformat()},
        headers=pharm,
    )
    assert r.status_code == 201, r.text
    assert r.json()["product_kind"] == kind
    r = client.post(
        f"/api/v1/clinical/subjects/{code}/administrations/1/bedside-check",
        json={"scanned_unit_codes": units},
        headers=coord,
    )
    assert r.status_code == 201 and r.json()["passed"], r.text
    check = r.json()["id"]
    started = dt.datetime.now(dt.UTC)
    r = client.post(
        f"/api/v1/clinical/subjects/{code}/administrations/1/infusion",
        json={
            "bedside_check_id": check,
            "started_at": started.isoformat(),
            "stopped_at": (started + dt.timedelta(minutes=1)).isoformat(),
            "volume_ml": 100,
            "vitals_before": VITALS,
            "vitals_after": VITALS,
        },
        headers=coord,
    )
    assert r.status_code == 201, r.text
    blinded = client.get(f"/api/v1/clinical/subjects/{code}", headers=coord).text
    for secret in ("UC-MSC", "Placebo", "placebo", '"cells"', "LOT-", "product_kind"):
        assert secret not in blinded
    page = client.get(f"/api/v1/clinical/subjects/{code}", headers=pharm).json()
    assert page["subject"]["arm"] in ("UC-MSC", "Placebo")
