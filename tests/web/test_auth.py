"""Logging in and out: secure cookies, CSRF on forms, the same refusal for every failure,
throttling with 429 and Retry-After. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from msctrial.web.app import SESSION_COOKIE, create_app
from tests.web.conftest import csrf_of, log_in


def test_a_user_logs_in_sees_their_name_and_logs_out(client, trial):
    response = log_in(client, "monitor", trial.passwords["monitor"], next_path="/protocol")
    assert response.status_code == 303 and response.headers["location"] == "/protocol"
    home = client.get("/")
    assert home.status_code == 200 and "Sun Hui (monitor)" in home.text
    out = client.post("/logout", data={"csrf_token": csrf_of(home.text)})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    after = client.get("/")
    assert after.status_code == 303 and after.headers["location"].startswith("/login?next=")


def test_pages_need_a_login_and_come_back_after_it(client, trial):
    response = client.get("/protocols/MSC-COVID-DEMO?version=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/protocols/MSC-COVID-DEMO%3Fversion%3D1"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"]
)
def test_the_login_never_sends_a_user_to_another_site(client, trial, target):
    response = log_in(client, "monitor", trial.passwords["monitor"], next_path=target)
    assert response.headers["location"] == "/"


def cookie_header(settings, engine, demo: bool) -> str:  # noqa: ANN001
    app = create_app(settings.model_copy(update={"cookie_secure": None, "demo": demo}), engine)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as c:
        form = c.get("/login")
        response = c.post(
            "/login",
            data={
                "username": "monitor",
                "password": "demo-monitor-pass",
                "csrf_token": csrf_of(form.text),
            },
        )
        assert response.status_code == 303
        return response.headers["set-cookie"]


def test_the_session_cookie_is_httponly_samesite_and_secure_outside_the_demo(
    settings, engine, trial
):
    header = cookie_header(settings, engine, demo=False)
    attributes = {a.strip().split("=")[0].lower() for a in header.split(";")}
    assert header.startswith(f"{SESSION_COOKIE}=")
    assert {"httponly", "secure", "samesite"} <= attributes
    assert "samesite=strict" in header.lower()


def test_the_demo_on_plain_http_drops_only_the_secure_flag(settings, engine, trial):
    header = cookie_header(settings, engine, demo=True).lower()
    assert (
        "httponly" in header
        and "samesite=strict" in header
        and "secure" not in header.replace("samesite", "")
    )


def test_the_login_form_without_its_csrf_token_is_refused(client, trial):
    client.get("/login")
    response = client.post(
        "/login", data={"username": "monitor", "password": trial.passwords["monitor"]}
    )
    assert response.status_code == 403
    assert "did not come from this site" in response.text
    forged = client.post(
        "/login",
        data={
            "username": "monitor",
            "password": trial.passwords["monitor"],
            "csrf_token": "forged",
        },
    )
    assert forged.status_code == 403 and SESSION_COOKIE not in forged.headers.get("set-cookie", "")


def test_logout_without_the_csrf_token_is_refused(login):
    client = login("monitor")
    assert client.post("/logout", data={}).status_code == 403
    assert client.get("/").status_code == 200  # still logged in


def refusal(client: TestClient, username: str, password: str):  # noqa: ANN201
    response = log_in(client, username, password)
    return response.status_code, response.text.replace(username, "USERNAME")


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(client, trial):
    wrong = refusal(client, "monitor", "not-the-password")
    unknown = refusal(client, "no.such.user", "not-the-password")
    assert wrong == unknown
    assert wrong[0] == 401 and "unknown username or wrong password" in wrong[1]


def test_the_token_api_refuses_the_same_way(client, trial):
    answers = {
        client.post("/api/v1/tokens", json={"username": name, "password": "not-the-password"}).text
        for name in ("monitor", "no.such.user")
    }
    assert answers == {
        '{"error":{"code":"not_authenticated","message":"unknown username or wrong password"}}'
    }


def test_repeated_failures_on_the_login_page_are_slowed_down(client, trial, settings):
    for _ in range(settings.login_max_failures):
        assert log_in(client, "monitor", "not-the-password").status_code == 401
    throttled = log_in(client, "monitor", trial.passwords["monitor"])
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) >= 1
    assert "too many failed logins" in throttled.text
    assert (
        SESSION_COOKIE not in throttled.headers.get("set-cookie", "") or "uid" not in throttled.text
    )


def test_repeated_failures_on_the_token_api_are_slowed_down(client, trial, settings):
    for _ in range(settings.login_max_failures):
        client.post("/api/v1/tokens", json={"username": "qc", "password": "not-the-password"})
    throttled = client.post(
        "/api/v1/tokens", json={"username": "qc", "password": trial.passwords["qc"]}
    )
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) >= 1
    body = throttled.json()["error"]
    assert body["code"] == "too_many_attempts" and body["details"]["retry_after"] >= 1


@pytest.mark.parametrize(
    "body",
    [
        {"username": "monitor", "password": "demo-monitor-pass", "label": "x" * 101},
        {"username": "m" * 65, "password": "x"},
        {"username": "monitor"},
    ],
    ids=["long-label", "long-username", "no-password"],
)
def test_a_malformed_token_request_is_422_before_any_login_attempt(client, body):
    response = client.post("/api/v1/tokens", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"


def test_a_cookie_captured_before_logout_gets_nothing_after_it(client, login, session):
    from msctrial.core.tables import WebSession

    login("monitor")
    captured = dict(client.cookies)
    assert client.get("/api/v1/me").status_code == 200
    page = client.get("/")
    client.post("/logout", data={"csrf_token": csrf_of(page.text)})
    client.cookies.clear()
    for name, value in captured.items():
        client.cookies.set(name, value)
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/", headers={"accept": "text/html"}).status_code == 303
    [row] = session.scalars(select(WebSession))
    assert row.ended_at is not None and row.end_reason == "logout"


def test_a_session_ends_after_its_idle_time_and_its_lifetime(client, login, session, settings):
    import datetime as dt

    from sqlalchemy import update

    from msctrial.core.tables import WebSession

    for column, limit, reason in (
        ("last_seen_at", settings.session_idle_s, "idle"),
        ("created_at", settings.session_max_age_s, "expired"),
    ):
        login("monitor")
        past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=limit + 5)
        session.execute(
            update(WebSession).where(WebSession.ended_at.is_(None)).values({column: past})
        )
        session.commit()
        assert client.get("/api/v1/me").status_code == 401
        ended = session.scalars(select(WebSession).where(WebSession.end_reason == reason)).all()
        session.commit()
        assert len(ended) == 1
