"""The interface in Chinese: chosen by the browser before login, on the switch, and kept with
the user (audited); times at the site. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from msctrial.core.tables import AuditEntry, User
from tests.web.conftest import csrf_of, log_in

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}


def switch(client, language: str, next_path: str = "/login"):  # noqa: ANN001, ANN201
    page = client.get(next_path)
    return client.post(
        "/language",
        data={"language": language, "next": next_path, "csrf_token": csrf_of(page.text)},
    )


def test_before_login_a_chinese_browser_gets_the_chinese_login_page(client, trial):
    page = client.get("/login", headers=CHINESE)
    assert page.status_code == 200
    assert '<html lang="zh-CN">' in page.text
    assert "<h1>登录</h1>" in page.text and "用户名" in page.text


def test_an_english_or_traditional_chinese_browser_gets_english(client, trial):
    for header in ("en-GB,en;q=0.9", "zh-TW,zh-Hant;q=0.9"):
        page = client.get("/login", headers={"Accept-Language": header})
        assert '<html lang="en">' in page.text and "<h1>Log in</h1>" in page.text


def test_the_switch_on_the_login_page_outranks_the_browser_and_survives_login(client, trial):
    response = switch(client, "zh-CN")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert "<h1>登录</h1>" in client.get("/login", headers={"Accept-Language": "en"}).text
    log_in(client, "monitor", trial.passwords["monitor"])
    home = client.get("/protocols/MSC-COVID-DEMO", headers={"Accept-Language": "en"})
    assert "专家共识核查结果" in home.text and "退出登录" in home.text


def test_a_logged_in_users_choice_is_kept_with_them_audited_and_follows_them(
    client, app, trial, session
):
    log_in(client, "investigator", trial.passwords["investigator"])
    assert switch(client, "zh-CN", "/clinical").headers["location"] == "/clinical"
    user = session.scalar(select(User).where(User.username == "investigator"))
    session.refresh(user)
    assert user.locale == "zh-CN"
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "app_user").order_by(AuditEntry.seq.desc())
    ).first()
    assert entry.actor == "investigator" and entry.changes["locale"] == [None, "zh-CN"]
    assert entry.reason == "chosen by the user"
    session.commit()  # end the read: on SQLite it holds the write lock the app needs

    from fastapi.testclient import TestClient

    with TestClient(app, follow_redirects=False) as other_browser:
        log_in(other_browser, "investigator", trial.passwords["investigator"])
        subjects = other_browser.get("/clinical", headers={"Accept-Language": "en"})
        assert '<html lang="zh-CN">' in subjects.text
        assert "<h1>受试者</h1>" in subjects.text and "筛选日志新增患者" in subjects.text


def test_a_language_not_offered_is_refused_naming_the_field_and_what_is_allowed(client, trial):
    response = switch(client, "fr")
    assert response.status_code == 422
    assert "language: &#39;fr&#39; is not offered; choose one of en, zh-CN" in response.text


def test_the_switch_never_sends_the_browser_to_another_site(client, trial):
    page = client.get("/login")
    response = client.post(
        "/language",
        data={"language": "en", "next": "https://evil.example/", "csrf_token": csrf_of(page.text)},
    )
    assert response.headers["location"] == "/"


def test_the_switch_needs_the_forms_csrf_token(client, trial):
    response = client.post("/language", data={"language": "zh-CN", "next": "/login"})
    assert response.status_code == 403


def test_list_times_are_shown_at_the_site_with_their_offset(client, trial):
    log_in(client, "monitor", trial.passwords["monitor"])
    audit = client.get("/audit").text
    assert "UTC+8" in audit  # every demo site is in Asia/Shanghai
    chinese = client.get("/audit", headers=CHINESE)
    assert "UTC+8" in chinese.text


def test_a_stored_word_and_a_refusal_read_in_chinese(client, trial):
    switch(client, "zh-CN")
    response = client.post(
        "/login",
        data={
            "username": "monitor",
            "password": "wrong",
            "csrf_token": csrf_of(client.get("/login").text),
            "next": "/",
        },
    )
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text
