"""The API's published contract: ``/api/openapi.json`` says which errors each operation answers.

FastAPI documents only the success response and its own validation error shape, which is not
the one msctrial sends. Every error msctrial sends is ``{"error": {code, message, field?,
details?}}`` (``core.errors``), so each operation is given the statuses it can answer with, each
pointing at that one shape, and the token route documents its throttle and ``Retry-After``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field
from pydantic.json_schema import models_json_schema

WRITES = {"post", "put", "patch", "delete"}
LOGIN_PATH = "/api/v1/tokens"

DESCRIPTIONS = {
    401: "Not authenticated: no bearer token, or one that is unknown, revoked or expired.",
    403: "Permission denied: the role, the site or the blind forbids it.",
    404: "Not found: an unknown id, or one this user may not see.",
    409: "Conflict: the record's state or a protocol or product rule refuses it.",
    422: "Invalid input: the fields named in the error and what is allowed.",
    429: "Too many wrong passwords: wait the seconds in Retry-After.",
}


class Problem(BaseModel):
    """One invalid field of a request."""

    field: str = Field(description="the field's path, e.g. body.values.spo2; empty for the whole")
    message: str


class ErrorDetail(BaseModel):
    code: str = Field(description="stable code, e.g. not_found, invalid_input, rule_violation")
    message: str = Field(description="what was wrong and what to do, for a person")
    field: str | None = Field(default=None, description="the field that was wrong, where one was")
    details: dict[str, Any] | None = Field(
        default=None, description="more facts; for invalid input ``problems``, one per field"
    )


class ErrorResponse(BaseModel):
    """Every error msctrial answers with."""

    error: ErrorDetail


def error_statuses(path: str, method: str) -> list[int]:
    """The error statuses an operation can answer with: what the code can raise there."""
    if path == LOGIN_PATH:
        return [401, 422, 429]
    statuses = [401, 403, 404, 422]
    if method.lower() in WRITES:
        statuses.append(409)
    return sorted(statuses)


def _response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": DESCRIPTIONS[status],
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
    }
    if status == 429:
        response["headers"] = {
            "Retry-After": {
                "description": "seconds to wait before the next attempt",
                "required": True,
                "schema": {"type": "integer", "minimum": 1},
            }
        }
    if status == 401:
        response["headers"] = {
            "WWW-Authenticate": {
                "description": "the scheme to use: Bearer",
                "schema": {"type": "string"},
            }
        }
    return response


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Give each operation of an OpenAPI document msctrial's error responses, in place."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    _, defs = models_json_schema(
        [(ErrorResponse, "serialization")], ref_template="#/components/schemas/{model}"
    )
    components.update(defs["$defs"])
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status in error_statuses(path, method):
                responses[str(status)] = _response(status)
    return schema


def install_contract(app: FastAPI) -> None:
    """Make ``app.openapi()`` publish the documented errors (computed once, then cached)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_errors(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
