"""The administration is for administrators: every other role gets 403 on every admin page
and every admin form, found from the app's routes so a page added later is covered too."""

from __future__ import annotations

import re

import pytest

from msctrial.demo.spine import USERS
from tests.web.blinding_world import _routes
from tests.web.conftest import csrf_of

NOT_ADMINS = sorted(u for u, *_ in USERS if u != "admin")
PARAMS = {"username": "monitor", "token_id": "1", "site": "WUH"}


def _admin_routes(app) -> list[tuple[str, str]]:  # noqa: ANN001
    """(method, path with its parameters filled) of every route under /admin."""
    out = []
    for route in _routes(app):
        path = route.path
        if not (path == "/admin" or path.startswith("/admin/")):
            continue
        filled = re.sub(r"{(\w+)(?::\w+)?}", lambda m: PARAMS[m.group(1)], path)
        out += [(method, filled) for method in sorted(route.methods or ()) if method != "HEAD"]
    return out


def test_the_administration_has_pages_and_forms_to_guard(app):
    routes = _admin_routes(app)
    assert {("GET", "/admin"), ("GET", "/admin/users"), ("GET", "/admin/sites")} <= set(routes)
    assert sum(method == "POST" for method, _ in routes) >= 9


@pytest.mark.parametrize("username", NOT_ADMINS)
def test_every_other_role_gets_403_on_every_admin_page_and_form(login, app, username):
    client = login(username)
    csrf = csrf_of(client.get("/").text)
    answers = {}
    for method, path in _admin_routes(app):
        if method == "GET":
            r = client.get(path)
        else:  # a valid CSRF token and plausible fields: only the role may refuse it
            r = client.post(path, data={"csrf_token": csrf, "reason": "r", "name": "x"})
        answers[(method, path)] = r.status_code
        assert "you need the role admin" in r.text, (method, path)
    assert set(answers.values()) == {403}, answers


@pytest.mark.parametrize("username", NOT_ADMINS)
def test_only_an_administrator_is_shown_the_administration_menu(login, username):
    assert 'href="/admin"' not in login(username).get("/").text


def test_the_administrator_is_shown_the_administration_menu(login):
    assert 'href="/admin"' in login("admin").get("/").text
