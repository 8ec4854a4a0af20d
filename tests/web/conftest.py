"""Web fixtures: the app on the test database (SQLite and PostgreSQL) with the trial's users,
driven in-process by Starlette's TestClient."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from msctrial.core.settings import Settings
from msctrial.web.app import SESSION_COOKIE, create_app

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


@pytest.fixture
def app(settings: Settings, engine, trial) -> FastAPI:  # noqa: ANN001
    """The app on the test database, holding the shared ``trial`` (sites, users, protocol)."""
    return create_app(settings, engine)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as c:
        yield c


def log_in(client: TestClient, username: str, password: str, next_path: str = "/"):  # noqa: ANN201
    """Post the login form as a browser does: fetch the form (and its CSRF token), submit it."""
    form = client.get("/login")
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": csrf_of(form.text),
            "next": next_path,
        },
    )


@pytest.fixture
def login(client: TestClient, trial) -> Callable[[str], TestClient]:  # noqa: ANN001
    """``login("monitor")`` logs the client in as that demo user and returns it."""

    def as_user(username: str) -> TestClient:
        response = log_in(client, username, trial.passwords[username])
        assert response.status_code == 303, response.text
        assert SESSION_COOKIE in client.cookies
        return client

    return as_user


@pytest.fixture
def token(client: TestClient, trial) -> Callable[[str], dict[str, str]]:  # noqa: ANN001
    """``token("admin")`` → the Authorization header of a fresh API token for that user."""

    def for_user(username: str) -> dict[str, str]:
        response = client.post(
            "/api/v1/tokens", json={"username": username, "password": trial.passwords[username]}
        )
        assert response.status_code == 201, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}

    return for_user
