"""Web administration of users: an administrator creates users with their role grants and
edits them; each change is audited, ends what it must, and a bad form writes nothing."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from msctrial.core.tables import AuditEntry, LoginAttempt, RoleGrant, User
from tests.web.conftest import csrf_of, log_in

NEW_PASSWORD = "a long and unusual passphrase"


def _admin(login) -> tuple[TestClient, str]:  # noqa: ANN001
    client = login("admin")
    return client, csrf_of(client.get("/admin/users").text)


def _count(session, table) -> int:  # noqa: ANN001
    n = session.scalar(select(func.count()).select_from(table))
    session.commit()  # end the read: on SQLite it holds the write lock
    return int(n or 0)


def test_an_administrator_creates_a_user_with_a_site_role_and_a_trial_wide_role(
    login, session, app
):
    client, token = _admin(login)
    created = client.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "username": "nurse.wu",
            "full_name": "Wu Na",
            "password": NEW_PASSWORD,
            "role": ["coordinator", "monitor", ""],
            "site": ["WUH", "", ""],
        },
    )
    assert created.status_code == 303, created.text
    assert created.headers["location"] == "/admin/users/nurse.wu?done=created"
    page = client.get("/admin/users/nurse.wu").text
    assert 'data-grant="coordinator@WUH"' in page and 'data-grant="monitor"' in page
    listed = client.get("/admin/users").text
    assert 'data-user="nurse.wu"' in listed
    entries = session.scalars(select(AuditEntry.actor).where(AuditEntry.entity == "app_user"))
    assert "admin" in set(entries)
    session.commit()
    with TestClient(app, follow_redirects=False) as other:
        assert log_in(other, "nurse.wu", NEW_PASSWORD).status_code == 303


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"role": ["surgeon"]}, "role", "'surgeon' is not a role"),
        ({"site": ["XYZ"]}, "site", "unknown site code 'XYZ'"),
        ({"password": "password1234"}, "password", "most commonly used"),
        ({"password": "short"}, "password", "at least 12 characters"),
        ({"username": "Nurse Wu!"}, "username", "lower-case letters"),
    ],
    ids=["unknown-role", "unknown-site", "common-password", "short-password", "username"],
)
def test_a_bad_new_user_form_names_the_field_and_writes_nothing(
    login, session, change, field, says
):
    client, token = _admin(login)
    users, grants = _count(session, User), _count(session, RoleGrant)
    data = {
        "csrf_token": token,
        "username": "nurse.wu",
        "password": NEW_PASSWORD,
        "role": ["coordinator"],
        "site": ["WUH"],
    } | change
    refused = client.post("/admin/users", data=data)
    assert refused.status_code == 422
    assert f'id="{field}-error"' in refused.text and f"{field}: " in refused.text
    assert says in html.unescape(refused.text)
    assert (_count(session, User), _count(session, RoleGrant)) == (users, grants)


def test_the_password_policy_message_stands_beside_the_password_field(login):
    client, token = _admin(login)
    refused = client.post(
        "/admin/users",
        data={"csrf_token": token, "username": "nurse.wu", "password": "nurse.wu"},
    )
    assert 'aria-describedby="password-error"' in refused.text
    assert "must be at least 12 characters; must not be the username" in refused.text


def test_a_role_is_added_and_removed_with_a_reason_ending_the_users_sessions(login, app, trial):
    with TestClient(app, follow_redirects=False) as monitor:
        assert log_in(monitor, "monitor", trial.passwords["monitor"]).status_code == 303
        client, token = _admin(login)
        added = client.post(
            "/admin/users/monitor/roles", data={"csrf_token": token, "role": "dsmb", "site": ""}
        )
        assert added.status_code == 303
        assert 'data-grant="dsmb"' in client.get("/admin/users/monitor").text
        again = client.post(
            "/admin/users/monitor/roles", data={"csrf_token": token, "role": "dsmb", "site": ""}
        )
        assert again.status_code == 409 and "already holds dsmb trial-wide" in html.unescape(
            again.text
        )
        url = "/admin/users/monitor/roles/remove"
        no_reason = client.post(url, data={"csrf_token": token, "grant": "dsmb", "reason": ""})
        assert no_reason.status_code == 422 and "a reason is required" in no_reason.text
        assert 'data-grant="dsmb"' in no_reason.text
        assert monitor.get("/api/v1/me").status_code == 200
        removed = client.post(url, data={"csrf_token": token, "grant": "dsmb", "reason": "ended"})
        assert removed.status_code == 303
        assert 'data-grant="dsmb"' not in client.get("/admin/users/monitor").text
        assert monitor.get("/api/v1/me").status_code == 401


@pytest.mark.parametrize(
    ("role", "site", "field"), [("surgeon", "", "role"), ("investigator", "XYZ", "site")]
)
def test_adding_an_unknown_role_or_site_names_it_and_grants_nothing(
    login, session, role, site, field
):
    client, token = _admin(login)
    grants = _count(session, RoleGrant)
    refused = client.post(
        "/admin/users/monitor/roles", data={"csrf_token": token, "role": role, "site": site}
    )
    assert refused.status_code == 422 and f'id="{field}-error"' in refused.text
    assert _count(session, RoleGrant) == grants


def test_deactivation_needs_a_reason_and_then_ends_the_users_session_and_tokens(
    login, app, trial, token
):
    theirs = token("coordinator")
    with TestClient(app, follow_redirects=False) as coordinator:
        assert log_in(coordinator, "coordinator", trial.passwords["coordinator"]).status_code == 303
        client, csrf = _admin(login)
        url = "/admin/users/coordinator/deactivate"
        refused = client.post(url, data={"csrf_token": csrf, "reason": "  "})
        assert refused.status_code == 422
        assert 'id="activation-reason-error"' in refused.text and "reason" in refused.text
        assert coordinator.get("/api/v1/me").status_code == 200
        done = client.post(url, data={"csrf_token": csrf, "reason": "left the hospital"})
        assert done.status_code == 303
        assert coordinator.get("/", headers={"accept": "text/html"}).status_code == 303
        assert client.get("/api/v1/me", headers=theirs).status_code == 401
        page = client.get("/admin/users/coordinator").text
        assert 'id="status">deactivated' in page and "/reactivate" in page
        back = client.post(
            "/admin/users/coordinator/reactivate", data={"csrf_token": csrf, "reason": "returned"}
        )
        assert back.status_code == 303
    with TestClient(app, follow_redirects=False) as again:
        assert log_in(again, "coordinator", trial.passwords["coordinator"]).status_code == 303


def test_a_password_reset_meets_the_policy_and_needs_a_reason(login, app):
    client, csrf = _admin(login)
    url = "/admin/users/investigator/password"
    weak = client.post(url, data={"csrf_token": csrf, "password": "short", "reason": "forgot"})
    assert weak.status_code == 422 and 'id="password-error"' in weak.text
    no_reason = client.post(url, data={"csrf_token": csrf, "password": NEW_PASSWORD})
    assert no_reason.status_code == 422 and 'id="password-reason-error"' in no_reason.text
    ok = client.post(url, data={"csrf_token": csrf, "password": NEW_PASSWORD, "reason": "forgot"})
    assert ok.status_code == 303
    with TestClient(app, follow_redirects=False) as other:
        assert log_in(other, "investigator", NEW_PASSWORD).status_code == 303


def test_an_administrator_revokes_a_users_token_saying_why(login, client, token):
    theirs = token("statistician")
    admin, csrf = _admin(login)
    page = admin.get("/admin/users/statistician").text
    assert "live" in page
    (token_id,) = [int(t) for t in re.findall(r'data-token="(\d+)"', page)]
    url = f"/admin/users/statistician/tokens/{token_id}/revoke"
    refused = admin.post(url, data={"csrf_token": csrf, "reason": ""})
    assert refused.status_code == 422 and 'id="token-reason-error"' in refused.text
    assert admin.get("/api/v1/me", headers=theirs).status_code == 200
    assert admin.post(url, data={"csrf_token": csrf, "reason": "leaked"}).status_code == 303
    assert admin.get("/api/v1/me", headers=theirs).status_code == 401


def test_a_locked_out_user_is_listed_and_unlocked(login, app, settings, session):
    with TestClient(app, follow_redirects=False) as stranger:
        for _ in range(settings.login_max_failures):
            log_in(stranger, "qc", "not the password at all")
    client, csrf = _admin(login)
    listed = client.get("/admin/users").text
    assert 'id="lockouts"' in listed and 'action="/admin/users/qc/unlock"' in listed
    assert client.post("/admin/users/qc/unlock", data={"csrf_token": csrf}).status_code == 303
    assert 'id="lockouts"' not in client.get("/admin/users").text
    ok = session.scalar(
        select(LoginAttempt.ip).where(LoginAttempt.success.is_(True), LoginAttempt.username == "qc")
    )
    session.commit()
    assert ok is not None and ok.startswith("admin:")


def test_an_unknown_user_is_a_404(login):
    client, csrf = _admin(login)
    assert client.get("/admin/users/nobody").status_code == 404
    gone = client.post("/admin/users/nobody/deactivate", data={"csrf_token": csrf, "reason": "x"})
    assert gone.status_code == 404


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/admin/users/monitor/deactivate", {}),
        ("/admin/users/monitor/password", {"password": NEW_PASSWORD}),
        ("/admin/users/monitor/roles/remove", {"grant": "monitor"}),
        ("/admin/sites/WUH", {"name": "Wuhan", "timezone": "Asia/Shanghai"}),
    ],
    ids=["deactivate", "reset-password", "remove-role", "edit-site"],
)
def test_a_change_without_a_reason_names_the_reason_and_writes_nothing(login, session, path, data):
    client, csrf = _admin(login)
    before = _count(session, AuditEntry)
    refused = client.post(path, data={"csrf_token": csrf, "reason": " ", **data})
    assert refused.status_code == 422
    assert re.search(r'id="[\w-]*reason-error"[^>]*>a reason is required', refused.text)
    assert _count(session, AuditEntry) == before


def test_an_administrator_is_told_to_ask_another_to_deactivate_them(login):
    client, csrf = _admin(login)
    refused = client.post(
        "/admin/users/admin/deactivate", data={"csrf_token": csrf, "reason": "leaving"}
    )
    assert refused.status_code == 409 and "ask another administrator" in refused.text
    assert 'id="status">active' in refused.text


@pytest.mark.parametrize("token_id", ["0", "2147483648", "99999999999999999999"])
def test_a_token_id_no_token_can_have_is_a_422_naming_it(login, token_id):
    client, csrf = _admin(login)
    url = f"/admin/users/monitor/tokens/{token_id}/revoke"
    refused = client.post(url, data={"csrf_token": csrf, "reason": "r"})
    assert refused.status_code == 422 and "token_id" in refused.text
