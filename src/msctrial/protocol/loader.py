"""Reading and writing protocol YAML, with errors that name the field and what is allowed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from msctrial.core.errors import InvalidInput, from_pydantic
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
        raise from_pydantic(exc) from None


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
