"""One text input policy for every text a user sends (API body, query, path, form, command
line): NUL, lone surrogates, other control characters and bidirectional overrides are refused
with a 422 (exit 2 on the command line) naming the field, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from msctrial.cli.main import main
from msctrial.core.tables import AuditEntry
from msctrial.core.validation import text_problem
from tests.web.conftest import csrf_of

HOSTILE = {
    "nul": "left\x00right",
    "surrogate": "bad \ud800 text",
    "control": "bell\x07",
    "bidi": "abc\u202edcba",
}


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_query_text_is_refused_naming_the_field(client, token, session, kind):
    headers = {**token("monitor"), "content-type": "application/json"}
    before = session.scalar(select(func.count()).select_from(AuditEntry))
    session.commit()  # end the read: on SQLite it holds the write lock
    body = json.dumps({"subject": "WUH-001", "text": HOSTILE[kind]}, ensure_ascii=True)
    response = client.post(
        "/api/v1/clinical/queries",
        content=body,
        headers=headers,
    )
    assert response.status_code == 422, response.text
    data = response.json()["error"]
    assert data["field"] == "text" and data["message"].startswith("text: contains a")
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == before


def test_a_nested_field_and_a_query_parameter_are_named(client, token):
    headers = token("monitor")
    response = client.get("/api/v1/clinical/queries?status=open%00", headers=headers)
    assert response.status_code == 422 and response.json()["error"]["field"] == "status"
    response = client.post(
        "/api/v1/clinical/adverse-events",
        json={"subject": "WUH-001", "term": "fever", "extra": {"notes": ["ok", "x\x00"]}},
        headers=headers,
    )
    assert response.status_code == 422 and response.json()["error"]["field"] == "extra.notes[1]"


def test_a_form_field_is_refused_naming_it(client):
    form = client.get("/login")
    response = client.post(
        "/login",
        data={"username": "ad\x00min", "password": "x", "csrf_token": csrf_of(form.text)},
    )
    assert response.status_code == 422
    assert "username: contains a NUL character at position 2" in response.text


def test_tab_newline_and_ordinary_unicode_are_text():
    assert text_problem("Fieber\t39,5 °C\r\n发热 — ok ✓") is None
    assert "NUL" in (text_problem("\x00") or "")


def test_the_command_line_refuses_the_same_text_naming_the_option(capsys):
    code = main(["audit", "verify", "--db", "sqlite:///x\x07.db"])
    assert code == 2
    assert (
        capsys.readouterr().err
        == "error: --db: contains a control character (U+0007) at position 11\n"
    )


def test_a_forged_page_post_is_refused_before_its_text_is_judged(client):
    client.get("/login")
    response = client.post("/login", data={"username": "ad\x00min", "password": "x"})
    assert response.status_code == 403
