"""The protocol JSON API: list, get, versions, findings, check, upload a new version; OpenAPI
at /api/docs; CSRF on cookie-authenticated writes. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.protocol.conftest import reference_data
from tests.web.conftest import csrf_of

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "protocols"
TRIAL = "MSC-COVID-DEMO"


def amended_yaml() -> str:
    data = reference_data()
    data["version"] = "1.1"
    data["arms"][0]["dosing"]["schedule"]["days"] = [0, 2, 4, 6]
    return yaml.safe_dump(data, sort_keys=False)


def test_protocols_are_listed(client, token):
    response = client.get("/api/v1/protocols", headers=token("investigator"))
    assert response.status_code == 200
    assert response.json() == [
        {
            "trial": TRIAL,
            "title": "Umbilical cord MSCs for severe COVID-19 - reference design",
            "latest_version": 1,
        }
    ]


def test_a_protocol_is_read_with_its_design_version_and_findings(client, token):
    body = client.get(f"/api/v1/protocols/{TRIAL}", headers=token("monitor")).json()
    assert set(body) == {"trial", "title", "version", "protocol", "findings"}
    assert body["version"]["version_no"] == 1 and body["version"]["created_by"] == "system:demo"
    assert body["protocol"]["design"]["masking"] == "quadruple"
    assert [a["name"] for a in body["protocol"]["arms"]] == ["UC-MSC", "Placebo"]
    assert body["findings"] == []


def test_an_admin_uploads_a_new_version_with_a_reason(client, token):
    headers = token("admin")
    response = client.post(
        "/api/v1/protocols",
        json={"yaml": amended_yaml(), "trial": TRIAL, "reason": "faster schedule approved"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["version"]["version_no"] == 2
    assert body["version"]["amendment_reason"] == "faster schedule approved"
    assert [(f["rule"], f["level"]) for f in body["findings"]] == [
        ("too_many_infusions", "deviation"),
        ("interval_short", "deviation"),
    ]
    versions = client.get(f"/api/v1/protocols/{TRIAL}/versions", headers=headers).json()
    assert [v["version_no"] for v in versions] == [1, 2]
    old = client.get(f"/api/v1/protocols/{TRIAL}?version=1", headers=headers).json()
    assert old["findings"] == []
    findings = client.get(f"/api/v1/protocols/{TRIAL}/findings", headers=headers).json()
    assert [f["rule"] for f in findings["findings"]] == ["too_many_infusions", "interval_short"]


@pytest.mark.parametrize("reason", [None, "", "  "])
def test_an_upload_without_a_reason_is_refused_and_nothing_is_written(client, token, reason):
    headers = token("admin")
    response = client.post(
        "/api/v1/protocols",
        json={"yaml": amended_yaml(), "trial": TRIAL, "reason": reason},
        headers=headers,
    )
    assert response.status_code == 422
    assert response.json() == {
        "error": {
            "code": "reason_required",
            "message": f"a reason is required to amend the protocol of {TRIAL}",
            "field": "reason",
        }
    }
    assert (
        client.get(f"/api/v1/protocols/{TRIAL}/versions", headers=headers).json()[-1]["version_no"]
        == 1
    )


@pytest.mark.parametrize("username", ["investigator", "monitor", "pharmacist", "dsmb"])
def test_only_an_admin_uploads_a_protocol(client, token, username):
    response = client.post(
        "/api/v1/protocols",
        json={"yaml": amended_yaml(), "trial": TRIAL, "reason": "x"},
        headers=token(username),
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_an_invalid_upload_names_the_field(client, token):
    response = client.post(
        "/api/v1/protocols",
        json={"yaml": "title: x\nversion: '1'\narms: [\n"},
        headers=token("admin"),
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert (
        error["code"] == "invalid_input"
        and "malformed YAML at line 4, column 1" in error["message"]
    )


def test_check_judges_a_protocol_without_saving_it(client, token):
    text = (EXAMPLES / "NCT04273646.yaml").read_text()
    response = client.post(
        "/api/v1/protocols/check", json={"yaml": text}, headers=token("statistician")
    )
    assert response.status_code == 200
    findings = response.json()["findings"]
    assert {f["rule"] for f in findings if f["level"] == "deviation"} == {
        "too_many_infusions",
        "dose_per_kg_low",
        "interval_short",
    }
    assert set(findings[0]) == {"rule", "level", "message", "field", "source"}
    listed = client.get("/api/v1/protocols", headers=token("statistician")).json()
    assert [p["trial"] for p in listed] == [TRIAL]


def test_the_browser_session_can_write_only_with_the_csrf_header(client, login):
    login("admin")
    page = client.get(f"/protocols/{TRIAL}")
    body = {"yaml": amended_yaml(), "trial": TRIAL, "reason": "via the browser"}
    refused = client.post("/api/v1/protocols", json=body)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission_denied"
    forged = client.post("/api/v1/protocols", json=body, headers={"X-CSRF-Token": "forged"})
    assert forged.status_code == 403
    ok = client.post("/api/v1/protocols", json=body, headers={"X-CSRF-Token": csrf_of(page.text)})
    assert ok.status_code == 201
    assert client.get(f"/api/v1/protocols/{TRIAL}").status_code == 200  # reads need no header


def test_a_bearer_token_needs_no_csrf_header(client, token):
    body = {"yaml": amended_yaml(), "trial": TRIAL, "reason": "scripted upload"}
    assert client.post("/api/v1/protocols", json=body, headers=token("admin")).status_code == 201


def test_the_api_without_credentials_answers_401_json(client):
    response = client.get("/api/v1/protocols")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "not_authenticated"
    bad = client.get("/api/v1/protocols", headers={"Authorization": "Bearer mst_made_up"})
    assert (
        bad.status_code == 401 and "unknown, revoked or expired" in bad.json()["error"]["message"]
    )


def test_openapi_describes_the_protocol_api_at_api_docs(client):
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    spec = client.get("/api/openapi.json").json()
    paths = spec["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/protocols"])
    for path in (
        "/api/v1/protocols/{trial}",
        "/api/v1/protocols/{trial}/versions",
        "/api/v1/protocols/{trial}/findings",
        "/api/v1/protocols/check",
        "/api/v1/tokens",
    ):
        assert path in paths, path
    assert not any(p.startswith("/protocols") or p == "/login" for p in paths)  # pages stay out
