"""One error shape everywhere on the API, HTML error pages for people, security headers on
every response. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

TRIAL = "MSC-COVID-DEMO"


def assert_error_shape(response, status: int, code: str) -> dict:  # noqa: ANN001
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"]
    error = body["error"]
    assert set(error) <= {"code", "message", "field", "details"}
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert "Traceback" not in response.text
    return error


def test_an_unknown_api_route_is_json_404(client, token):
    assert_error_shape(
        client.get("/api/v1/nothing-here", headers=token("monitor")), 404, "not_found"
    )
    assert_error_shape(client.get("/api/nothing"), 404, "not_found")


def test_a_wrong_method_is_json_405(client, token):
    response = client.delete(f"/api/v1/protocols/{TRIAL}", headers=token("admin"))
    assert_error_shape(response, 405, "method_not_allowed")


@pytest.mark.parametrize(
    ("request_kwargs", "field"),
    [
        ({"json": {"trial": TRIAL}}, "yaml"),
        ({"json": {"yaml": 12}}, "yaml"),
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, None),
    ],
    ids=["missing-field", "wrong-type", "malformed-json"],
)
def test_a_request_that_does_not_validate_is_json_422_naming_the_field(
    client, token, request_kwargs, field
):
    headers = {**token("admin"), **request_kwargs.pop("headers", {})}
    response = client.post("/api/v1/protocols", headers=headers, **request_kwargs)
    error = assert_error_shape(response, 422, "invalid_input")
    assert error["details"]["problems"]
    if field:
        assert error["field"] == field and error["message"].startswith(f"{field}: ")


def test_a_query_parameter_of_the_wrong_type_is_json_422(client, token):
    response = client.get(f"/api/v1/protocols/{TRIAL}?version=latest", headers=token("monitor"))
    error = assert_error_shape(response, 422, "invalid_input")
    assert error["field"] == "version"


@pytest.mark.parametrize(
    ("method", "path", "username", "body", "status", "code"),
    [
        ("get", "/api/v1/protocols/NOPE", "monitor", None, 404, "not_found"),
        ("get", f"/api/v1/protocols/{TRIAL}?version=9", "monitor", None, 404, "not_found"),
        ("get", "/api/v1/protocols", None, None, 401, "not_authenticated"),
        ("get", "/api/v1/audit/verify", "investigator", None, 403, "permission_denied"),
        ("post", "/api/v1/protocols", "monitor", {"yaml": "title: x"}, 403, "permission_denied"),
        ("post", "/api/v1/protocols/check", "monitor", {"yaml": "arms: ["}, 422, "invalid_input"),
    ],
)
def test_domain_errors_share_the_shape(client, token, method, path, username, body, status, code):
    headers = token(username) if username else {}
    response = getattr(client, method)(path, headers=headers, **({"json": body} if body else {}))
    assert_error_shape(response, status, code)


def test_an_unexpected_failure_is_json_500_without_details(app, token):
    @app.get("/api/v1/test-boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/test-boom")
    assert_error_shape(response, 500, "internal")
    assert "secret internals" not in response.text


def test_people_get_html_error_pages_not_json(login):
    client = login("monitor")
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>Not found</h1>" in response.text


SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}


@pytest.mark.parametrize(
    "path",
    [
        "/login",
        "/",
        f"/protocols/{TRIAL}",
        "/api/v1/protocols",
        "/api/v1/nope",
        "/static/msctrial.css",
        "/nope",
    ],
)
def test_every_response_carries_the_security_headers(login, path):
    response = login("monitor").get(path)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value, (path, name)
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-eval" not in csp


def test_the_api_docs_page_keeps_the_frame_and_sniffing_headers(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_https_is_enforced_by_header_only_when_cookies_are_secure(settings, engine, trial):
    from msctrial.web.app import create_app

    for secure, expected in ((True, "max-age=31536000"), (False, None)):
        app = create_app(settings.model_copy(update={"cookie_secure": secure}), engine)
        with TestClient(app) as client:
            assert client.get("/login").headers.get("strict-transport-security") == expected
