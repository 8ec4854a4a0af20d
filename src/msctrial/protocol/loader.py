"""Reading and writing protocol YAML, with errors that name the field and what is allowed."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from msctrial.core.errors import InvalidInput
from msctrial.protocol.model import Protocol

MAX_BYTES = 1_000_000


def parse_yaml(text: str, what: str = "file") -> Any:
    """Parse YAML safely; a syntax error names the line and column."""
    if len(text.encode()) > MAX_BYTES:
        raise InvalidInput(f"{what}: larger than {MAX_BYTES // 1000} kB; is this the right file?")
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InvalidInput(
            f"{what}: malformed YAML{where}: {exc.problem}; check indentation and quoting",
            field=f"line {mark.line + 1}" if mark else None,
        ) from None
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{what}: malformed YAML: {exc}") from None


def load_protocol_text(text: str, what: str = "protocol") -> Protocol:
    data = parse_yaml(text, what)
    if not isinstance(data, dict):
        raise InvalidInput(
            f"{what}: expected a mapping of protocol fields (title, version, arms, …), "
            f"got {type(data).__name__}"
        )
    try:
        return Protocol.model_validate(data)
    except ValidationError as exc:
        raise explain(exc, Protocol) from None


def field_path(loc: tuple[Any, ...]) -> str:
    """('arms', 0, 'dosing', 'dose') → 'arms[0].dosing.dose', as findings name fields."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith(("function-", "model-")):
            continue  # pydantic's internal validator steps
        else:
            out += f".{part}" if out else str(part)
    return out


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model that holds the keys at ``loc`` (list indices stepped through)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        info = current.model_fields.get(str(part))
        if info is None:
            return None
        current = _inner_model(info.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    """The model inside ``Foo | None``, ``list[Foo]`` and the like, else the annotation."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if isinstance(found, type) and issubclass(found, BaseModel):
            return found
    return annotation


def explain(exc: ValidationError, model: type[BaseModel], prefix: str = "") -> InvalidInput:
    """One InvalidInput naming every bad field of a YAML document and what it allows.

    An unknown key lists the keys allowed at that place, which is what fixes a misspelling.
    """
    problems = []
    for err in exc.errors():
        loc = tuple(err.get("loc", ()))
        path = field_path(loc)
        if prefix:
            path = f"{prefix}.{path}" if path else prefix
        msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        if err.get("type") == "extra_forbidden":
            holder = _model_at(model, loc[:-1])
            allowed = ", ".join(holder.model_fields) if holder else ""
            msg = "unknown key" + (f"; allowed here: {allowed}" if allowed else "")
        elif err.get("type") == "string_type" and isinstance(err.get("input"), int | float):
            msg += ' (put the value in quotes, e.g. "1.0")'
        elif err.get("type") == "missing":
            msg = "required; this field must be given"
        problems.append((path, msg))
    text = "; ".join(f"{path or '(top level)'}: {msg}" for path, msg in problems)
    return InvalidInput(
        text,
        field=problems[0][0] if problems else (prefix or None),
        problems=[{"field": f, "message": m} for f, m in problems],
    )


def load_protocol(path: str | Path) -> Protocol:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"file: {p} does not exist", field="file") from None
    except (UnicodeDecodeError, IsADirectoryError) as exc:
        raise InvalidInput(
            f"file: {p} is not a UTF-8 text file ({exc.__class__.__name__})", field="file"
        ) from None
    return load_protocol_text(text, what=p.name)


def dump_protocol(protocol: Protocol) -> str:
    data = protocol.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
