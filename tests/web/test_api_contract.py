"""The API does what ``/api/openapi.json`` says: schemathesis generates requests for every
operation and checks each answer against the published contract (issue 14, defect 9).

The checks are the contract's own: no server error, a status the operation documents, the
documented content type, a body that matches the documented schema, and the documented headers
(``Retry-After`` on a throttled login). Each operation is called as a user whose role can reach
it, so the requests get past authorisation into the validation and the services.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from msctrial.web.openapi import error_statuses

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
EXAMPLES = 8

# The first prefix an operation's path starts with names the user who calls it.
CALLER = [
    ("/api/v1/product", "qc"),
    ("/api/v1/clinical/subjects/{code}/administrations", "pharmacist"),
    ("/api/v1/clinical/pharmacy", "pharmacist"),
    ("/api/v1/clinical/susar-assessments", "safety"),
    ("/api/v1/clinical/regulatory-reports", "safety"),
    ("/api/v1/clinical", "investigator"),
    ("/api/v1/monitoring", "monitor"),
    ("/api/v1/exports", "statistician"),
    ("/api/v1/registry", "statistician"),
    ("/api/v1/audit", "monitor"),
    ("/api/v1", "admin"),
]


def caller_of(path: str) -> str:
    return next(user for prefix, user in CALLER if path.startswith(prefix))


def _fuzz(operation: Any, auth: dict[str, str], statuses: Counter[int]) -> None:
    """Call one operation with generated requests; each answer must meet the contract."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def answers_as_documented(case: schemathesis.Case) -> None:
        response = case.call_and_validate(headers=auth, checks=CHECKS)
        statuses[response.status_code] += 1

    answers_as_documented()


def test_every_operation_answers_only_as_its_contract_says(app, client, token) -> None:
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    headers = {user: token(user) for user in {u for _, u in CALLER}}
    statuses: Counter[int] = Counter()
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        auth = {} if operation.path == "/api/v1/tokens" else headers[caller_of(operation.path)]

        _fuzz(operation, auth, statuses)
    print(f"schemathesis: {operations} operations, {statuses.total()} responses, {dict(statuses)}")
    assert operations == len([m for ops in app.openapi()["paths"].values() for m in ops]), (
        "every published operation was called"
    )
    assert operations >= 100
    # The run reached past authentication into validation and the services.
    assert statuses[200] + statuses[201] + statuses[204] > 50, statuses
    assert statuses[422] > 100, statuses
    assert statuses[404] > 0, statuses


def test_every_operation_documents_its_errors_in_one_shape(app) -> None:
    document = app.openapi()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status in error_statuses(path, method):
                response = operation["responses"][str(status)]
                body = response["content"]["application/json"]["schema"]
                assert body == {"$ref": "#/components/schemas/ErrorResponse"}, (path, method)
    throttled = document["paths"]["/api/v1/tokens"]["post"]["responses"]["429"]
    assert throttled["headers"]["Retry-After"]["required"] is True


def test_a_nullable_field_is_sent_as_null_and_published_as_nullable(app, client, token) -> None:
    entries = client.get("/api/v1/audit?limit=5", headers=token("monitor")).json()
    assert entries and all("reason" in e and "site_id" in e for e in entries)
    published = app.openapi()["components"]["schemas"]["AuditEntryPublic"]
    assert set(published["required"]) >= {"reason", "site_id"}
    assert {"type": "null"} in published["properties"]["reason"]["anyOf"]


@pytest.mark.parametrize("path", ["/api/v1/protocols", "/protocol"])
def test_a_method_a_resource_lacks_is_a_405_listing_the_methods_it_has(client, path) -> None:
    response = client.delete(path)
    assert response.status_code == 405
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert {"GET"} <= allowed and "DELETE" not in allowed
    if path.startswith("/api/"):
        assert allowed >= {"GET", "POST"}
        assert response.json()["error"]["code"] == "method_not_allowed"
