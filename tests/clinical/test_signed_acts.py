"""Randomising and breaking the blind are signed, previewed and idempotent (issue 9, hole 5).

Before: randomising was one click, unblinding a free-text reason on the subject page; neither
asked for the password, and a reload or double click could act twice.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from msctrial.clinical.randomisation.service import randomisation_preview, randomise_subject
from msctrial.clinical.randomisation.tables import Allocation, EmergencyUnblinding
from msctrial.clinical.randomisation.unblinding import emergency_unblind, unblinding_result
from msctrial.core.errors import Conflict, InvalidInput, NotAuthenticated, PermissionDenied
from msctrial.demo.spine import demo_password
from tests.clinical.conftest import enrol
from tests.clinical.test_pages import post_form

PW = demo_password("investigator")


def count(session, table) -> int:  # noqa: ANN001
    """Rows of ``table``, ending the read at once (on SQLite it would block the app's writes)."""
    n = session.scalar(select(func.count()).select_from(table))
    session.rollback()
    return n


def test_randomising_needs_the_users_password(session, trial, rand_list):
    inv = trial.actor("investigator")
    code = enrol(session, inv)
    with pytest.raises(
        NotAuthenticated, match=r"signature: the password is wrong; the action"
    ) as err:
        randomise_subject(session, inv, code, password="not my password")
    assert err.value.field == "password" and "not signed" in err.value.message
    session.rollback()
    assert count(session, Allocation) == 0
    assert randomise_subject(session, inv, code, password=PW).randomisation_no


def test_the_preview_names_the_strata_and_who_is_told_and_writes_nothing(session, trial, rand_list):
    inv = trial.actor("investigator")
    code = enrol(session, inv)
    preview = randomisation_preview(session, inv, code)
    assert preview.strata == {"site": "WUH", "severity": "severe"}
    assert any("pharmacist sees the arm" in line for line in preview.told)
    assert count(session, Allocation) == 0


def test_a_repeated_request_key_returns_the_first_allocation(session, trial, rand_list):
    inv = trial.actor("investigator")
    code = enrol(session, inv)
    first = randomise_subject(session, inv, code, password=PW, request_key="key-0001-abcd")
    again = randomise_subject(session, inv, code, password=PW, request_key="key-0001-abcd")
    assert again.randomisation_no == first.randomisation_no
    other = enrol(session, inv)
    with pytest.raises(Conflict, match=r"request_key: this key was used for another") as err:
        randomise_subject(session, inv, other, password=PW, request_key="key-0001-abcd")
    assert err.value.field == "request_key"
    with pytest.raises(
        InvalidInput, match=r"request_key: 8 to 64 printable ASCII characters"
    ) as err:
        randomise_subject(session, inv, other, password=PW, request_key="short")
    assert err.value.field == "request_key" and "8 to 64" in err.value.message


def test_unblinding_is_signed_once_per_key_and_its_result_is_for_the_unblinder_only(
    session, trial, rand_list
):
    inv = trial.actor("investigator")
    code = enrol(session, inv)
    randomise_subject(session, inv, code, password=PW)
    with pytest.raises(NotAuthenticated, match=r"signature: the password is wrong; the action"):
        emergency_unblind(session, inv, code, "anaphylaxis", password="wrong", request_key=None)
    session.rollback()
    first = emergency_unblind(
        session, inv, code, "anaphylaxis", password=PW, request_key="u-key-0001"
    )
    again = emergency_unblind(
        session, inv, code, "anaphylaxis", password=PW, request_key="u-key-0001"
    )
    assert again.id == first.id
    assert count(session, EmergencyUnblinding) == 1
    assert unblinding_result(session, inv, code, first.id).arm == first.arm
    with pytest.raises(PermissionDenied, match=r"only the investigator who broke this blind"):
        unblinding_result(session, trial.actor("coordinator"), code, first.id)


def test_the_api_randomises_once_for_a_repeated_idempotency_key(
    session, trial, rand_list, client, token
):
    inv = trial.actor("investigator")
    code = enrol(session, inv)
    session.close()
    headers = {**token("investigator"), "Idempotency-Key": "4f1c2d9e-api-key"}
    preview = client.get(f"/api/v1/clinical/subjects/{code}/randomise", headers=headers)
    assert preview.status_code == 200 and preview.json()["strata"]["severity"] == "severe"
    wrong = client.post(
        f"/api/v1/clinical/subjects/{code}/randomise", json={"password": "x"}, headers=headers
    )
    assert wrong.status_code == 401 and "password" in wrong.text
    missing = client.post(f"/api/v1/clinical/subjects/{code}/randomise", json={}, headers=headers)
    assert missing.status_code == 422 and "password" in missing.text
    bodies = [
        client.post(
            f"/api/v1/clinical/subjects/{code}/randomise", json={"password": PW}, headers=headers
        )
        for _ in range(2)
    ]
    assert [b.status_code for b in bodies] == [200, 200]
    assert bodies[0].json()["randomisation_no"] == bodies[1].json()["randomisation_no"]
    unblind = [
        client.post(
            f"/api/v1/clinical/subjects/{code}/unblind",
            json={"reason": "anaphylaxis", "password": PW},
            headers={**headers, "Idempotency-Key": "unblind-key-0001"},
        )
        for _ in range(2)
    ]
    assert [u.status_code for u in unblind] == [200, 200]
    assert count(session, EmergencyUnblinding) == 1


def test_the_pages_confirm_sign_and_redirect_so_a_reload_never_acts_twice(
    session, trial, login_as, rand_list
):
    inv = trial.actor("investigator")
    code = enrol(session, inv)
    session.close()
    client = login_as("investigator")
    path = f"/clinical/subjects/{code}"
    confirm = client.get(f"{path}/randomise")
    assert "Who is told" in confirm.text and "severe" in confirm.text
    key = re.search(r'name="request_key" value="([0-9a-f]+)"', confirm.text).group(1)
    wrong = post_form(
        client,
        f"{path}/randomise",
        {"password": "x", "request_key": key},
        form_path=f"{path}/randomise",
    )
    assert wrong.status_code == 401 and "password is wrong" in wrong.text
    for _ in range(2):  # the double click
        r = post_form(
            client, f"{path}/randomise", {"password": PW, "request_key": key}, form_path=path
        )
        assert r.status_code == 303 and r.headers["location"] == path
    assert count(session, Allocation) == 1

    confirm = client.get(f"{path}/unblind")
    assert "never the arm" in confirm.text
    key = re.search(r'name="request_key" value="([0-9a-f]+)"', confirm.text).group(1)
    fields = {"reason": "anaphylaxis", "password": PW, "request_key": key}
    first = post_form(client, f"{path}/unblind", fields, form_path=path)
    again = post_form(client, f"{path}/unblind", fields, form_path=path)
    assert first.status_code == 303 and again.headers["location"] == first.headers["location"]
    result = client.get(first.headers["location"])
    assert result.status_code == 200 and 'id="unblinded-arm"' in result.text
    assert count(session, EmergencyUnblinding) == 1
    other = login_as("coordinator")
    assert other.get(first.headers["location"]).status_code == 403
