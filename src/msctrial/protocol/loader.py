"""Reading and writing protocol YAML, with errors that name the field and what is allowed."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from msctrial.core.errors import InvalidInput
from msctrial.core.validation import explain, parse_yaml, read_text
from msctrial.protocol.model import Protocol


def load_protocol_text(text: str, what: str = "protocol") -> Protocol:
    """A protocol from YAML text, validated; errors name the field and what is allowed.

    The services read the stored protocol on almost every call; parsing its YAML is the
    slowest step of many of them, so a text already read is not parsed again (the model is
    frozen, so every caller may share it). A refused text is not remembered.
    """
    return _load_protocol_text(text, what)


@lru_cache(maxsize=64)
def _load_protocol_text(text: str, what: str) -> Protocol:
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


def load_protocol(path: str | Path) -> Protocol:
    """A protocol YAML file, validated; errors name the field (``arms[0].dosing.dose``)."""
    p = Path(path)
    return load_protocol_text(read_text(p, "file"), what=p.name)


def dump_protocol(protocol: Protocol) -> str:
    """The protocol as YAML, without defaults: what `load_protocol_text` reads back."""
    data = protocol.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
