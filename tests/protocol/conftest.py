"""Protocols to test rules on: the reference design, edited one field at a time."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from msctrial.demo.spine import reference_protocol_text
from msctrial.protocol.model import Protocol

_REFERENCE = yaml.safe_load(reference_protocol_text())


def reference_data() -> dict[str, Any]:
    """The reference design (meets every rule) as plain data, a fresh copy each time."""
    return copy.deepcopy(_REFERENCE)


def edited(change: Callable[[dict[str, Any]], object]) -> Protocol:
    """The reference design with one change applied to its data."""
    data = reference_data()
    change(data)
    return Protocol.model_validate(data)


def cells_arm(data: dict[str, Any]) -> dict[str, Any]:
    return data["arms"][0]


@pytest.fixture
def reference() -> Protocol:
    return Protocol.model_validate(reference_data())
