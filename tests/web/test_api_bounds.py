"""Every integer a route reads is bounded, so a number too large for the database is a 422.

Before, ``GET /api/v1/clinical/entries/2147483648`` was a 500 on both backends (an
``OverflowError`` from SQLite, ``NumericValueOutOfRange`` from PostgreSQL), and so was any page
or body id past 64 bits. These tests walk every route of the app, so a new route with an
unbounded integer fails here rather than in production.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from typing import Any

import annotated_types
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel

from msctrial.core.validation import MAX_RECORD_ID


def _is_int(annotation: Any) -> bool:
    if annotation is int:
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_is_int(a) for a in typing.get_args(annotation))
    return False


def _upper_bound(metadata: list[Any]) -> int | None:
    for item in metadata:
        for attr in ("le", "lt"):
            bound = getattr(item, attr, None)
            if isinstance(bound, int):
                return bound
        if isinstance(item, annotated_types.Interval) and item.le is not None:
            return int(item.le)  # type: ignore[call-overload]
    return None


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in typing.get_args(annotation):
        yield from _models_in(arg)


def _body_int_fields(model: type[BaseModel], seen: set[type]) -> Iterator[tuple[str, Any]]:
    if model in seen:
        return
    seen.add(model)
    for name, field in model.model_fields.items():
        if _is_int(field.annotation):
            yield f"{model.__name__}.{name}", _upper_bound(field.metadata)
        for inner in _models_in(field.annotation):
            yield from _body_int_fields(inner, seen)


def unbounded_integers(app: FastAPI) -> list[str]:
    found = []
    for context in iter_route_contexts(app.routes):
        dependant = getattr(context, "dependant", None)
        if dependant is None:
            continue
        stack = [dependant]
        while stack:
            current = stack.pop()
            stack.extend(current.dependencies)
            for param in current.path_params + current.query_params:
                if _is_int(param.field_info.annotation):
                    bound = _upper_bound(param.field_info.metadata)
                    if bound is None or bound > MAX_RECORD_ID:
                        found.append(f"{context.path} {param.name}")
            for param in current.body_params:
                for model in _models_in(param.field_info.annotation):
                    for name, bound in _body_int_fields(model, set()):
                        if bound is None or bound > MAX_RECORD_ID:
                            found.append(f"{context.path} body {name}")
    return sorted(set(found))


def test_every_integer_a_route_reads_has_an_upper_bound_the_database_can_store(app) -> None:
    assert unbounded_integers(app) == []


def test_an_id_beyond_the_database_integer_is_a_422_naming_it_on_the_api(client, token) -> None:
    headers = token("investigator")
    response = client.get(f"/api/v1/clinical/entries/{MAX_RECORD_ID + 1}", headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == "entry_id"


def test_an_id_beyond_the_database_integer_is_a_422_on_a_page(login) -> None:
    client = login("investigator")
    for path in (
        f"/entries/{2**64}",
        f"/queries/{MAX_RECORD_ID + 1}",
        f"/adverse-events/{MAX_RECORD_ID + 1}",
        f"/infusions/{2**40}/reactions",
    ):
        response = client.get(path)
        assert response.status_code == 422, (path, response.status_code)
        assert "less than or equal to 2147483647" in response.text, path
