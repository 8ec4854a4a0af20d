"""Role × route: who may do what through the API (site staff at their own site only)."""

from __future__ import annotations

import pytest

from msctrial.clinical.randomisation.service import randomise_subject
from msctrial.demo.spine import demo_password
from tests.clinical.conftest import enrol

OWN = "(the acting user's own password)"
READ = ("GET", "/api/v1/clinical/subjects/{code}", None)
SCREEN = ("POST", "/api/v1/clinical/subjects", {"site": "WUH"})  # the screening log
RANDOMISE = ("POST", "/api/v1/clinical/subjects/{fresh}/randomise", {"password": OWN})
UNBLIND = (
    "POST",
    "/api/v1/clinical/subjects/{code}/unblind",
    {"reason": "anaphylaxis", "password": OWN},
)
PHARMACY = ("GET", "/api/v1/clinical/pharmacy", None)
LIST_STATUS = ("GET", "/api/v1/clinical/randomisation", None)
UNBLINDINGS = ("GET", "/api/v1/clinical/unblindings", None)
DISPENSE = (
    "POST",
    "/api/v1/clinical/subjects/{code}/administrations/1/dispense",
    {"unit_codes": ["U-X"], "thawed_at": "2026-01-01T00:00:00Z"},
)

CASES = [
    (READ, "investigator", 200),
    (READ, "coordinator", 200),
    (READ, "pharmacist", 200),
    (READ, "monitor", 200),
    (READ, "statistician", 200),
    (READ, "dsmb", 200),
    (READ, "admin", 200),
    (READ, "qc", 403),
    (READ, "investigator.bjs", 404),
    (SCREEN, "investigator", 201),
    (SCREEN, "coordinator", 201),
    (SCREEN, "pharmacist", 403),
    (SCREEN, "monitor", 403),
    (SCREEN, "admin", 403),
    (SCREEN, "investigator.bjs", 403),
    (RANDOMISE, "coordinator", 200),
    (RANDOMISE, "pharmacist", 403),
    (RANDOMISE, "monitor", 403),
    (RANDOMISE, "investigator.kmg", 404),
    (UNBLIND, "investigator", 200),
    (UNBLIND, "coordinator", 403),
    (UNBLIND, "monitor", 403),
    (UNBLIND, "pharmacist", 403),
    (UNBLIND, "investigator.bjs", 404),
    (PHARMACY, "pharmacist", 200),
    (PHARMACY, "investigator", 403),
    (PHARMACY, "dsmb", 403),
    (LIST_STATUS, "admin", 200),
    (LIST_STATUS, "statistician", 200),
    (LIST_STATUS, "investigator", 403),
    (UNBLINDINGS, "monitor", 200),
    (UNBLINDINGS, "investigator", 200),
    (UNBLINDINGS, "coordinator", 403),
    (DISPENSE, "coordinator", 403),
    (DISPENSE, "investigator", 403),
]


@pytest.mark.parametrize(
    ("route", "username", "status"), CASES, ids=[f"{r[0]} {r[1]} as {u}" for r, u, _ in CASES]
)
def test_role_by_route(session, trial, client, token, rand_list, route, username, status):
    inv = trial.actor("investigator")
    code = enrol(session, inv)
    randomise_subject(session, inv, code, password=demo_password("investigator"))
    fresh = enrol(session, inv)
    method, path, body = route
    if isinstance(body, dict) and body.get("password") == OWN:
        body = {**body, "password": demo_password(username)}
    session.close()
    r = client.request(
        method, path.format(code=code, fresh=fresh), json=body, headers=token(username)
    )
    assert r.status_code == status, r.text
