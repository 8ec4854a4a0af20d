"""Account management over the API: the administrator's routes end the sessions and tokens
they must, at once; nobody else may use them."""

from __future__ import annotations

import pytest


def test_deactivating_a_user_ends_their_browser_session_and_tokens_at_once(
    client, login, token, trial
):
    admin = token("admin")
    theirs = token("coordinator")
    login("coordinator")
    assert 'action="/logout"' in client.get("/").text
    done = client.post(
        "/api/v1/users/coordinator/deactivate", json={"reason": "left"}, headers=admin
    )
    assert done.status_code == 200, done.text
    assert 'action="/logout"' not in client.get("/", follow_redirects=True).text
    assert client.get("/api/v1/me", headers=theirs).status_code == 401
    listed = client.get("/api/v1/users", headers=admin).json()
    (row,) = [u for u in listed if u["username"] == "coordinator"]
    assert row["active"] is False and row["live_tokens"] == 0


def test_a_role_removed_by_the_administrator_is_gone_from_the_next_request(client, token, trial):
    admin = token("admin")
    headers = token("monitor")
    assert client.get("/api/v1/me", headers=headers).json()["roles"] == [
        {"role": "monitor", "site": None}
    ]
    removed = client.post(
        "/api/v1/users/monitor/roles/remove",
        json={"role": "monitor", "reason": "contract ended"},
        headers=admin,
    )
    assert removed.status_code == 200, removed.text
    assert client.get("/api/v1/me", headers=headers).json()["roles"] == []


def test_a_reset_password_needs_a_reason_and_meets_the_policy(client, token, trial):
    admin = token("admin")
    url = "/api/v1/users/investigator/password"
    no_reason = client.post(url, json={"password": "a fresh long passphrase"}, headers=admin)
    assert no_reason.status_code == 422 and "reason" in no_reason.text
    weak = client.post(url, json={"password": "short", "reason": "forgot"}, headers=admin)
    assert weak.status_code == 422 and "at least 12 characters" in weak.text
    ok = client.post(
        url, json={"password": "a fresh long passphrase", "reason": "forgot"}, headers=admin
    )
    assert ok.status_code == 200
    login = client.post(
        "/api/v1/tokens",
        json={"username": "investigator", "password": "a fresh long passphrase"},
    )
    assert login.status_code == 201


def test_a_user_revokes_their_own_token_and_changes_their_own_password(client, token, trial):
    headers = token("monitor")
    (mine,) = client.get("/api/v1/users/monitor/tokens", headers=headers).json()
    revoked = client.post(
        f"/api/v1/users/monitor/tokens/{mine['id']}/revoke",
        json={"reason": "rotating"},
        headers=headers,
    )
    assert revoked.status_code == 200
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    fresh = token("monitor")
    wrong = client.post(
        "/api/v1/me/password",
        json={"old_password": "not it", "new_password": "a fresh long passphrase"},
        headers=fresh,
    )
    assert wrong.status_code == 401
    changed = client.post(
        "/api/v1/me/password",
        json={
            "old_password": trial.passwords["monitor"],
            "new_password": "a fresh long passphrase",
        },
        headers=fresh,
    )
    assert changed.status_code == 200


@pytest.mark.parametrize("username", ["investigator", "monitor", "qc", "dsmb", "pharmacist"])
def test_only_the_administrator_manages_accounts(client, token, trial, username):
    headers = token(username)
    assert client.get("/api/v1/users", headers=headers).status_code == 403
    assert client.get("/api/v1/users/lockouts", headers=headers).status_code == 403
    assert client.get("/api/v1/users/admin/tokens", headers=headers).status_code == 403
    for path, body in [
        ("/api/v1/users/admin/deactivate", {"reason": "x"}),
        ("/api/v1/users/admin/password", {"password": "a fresh long passphrase", "reason": "x"}),
        ("/api/v1/users/admin/roles/remove", {"role": "admin", "reason": "x"}),
        ("/api/v1/users/admin/unlock", None),
    ]:
        assert client.post(path, json=body, headers=headers).status_code == 403, path
    assert client.get("/api/v1/me", headers=token("admin")).json()["roles"] == [
        {"role": "admin", "site": None}
    ]
