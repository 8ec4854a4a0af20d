"""The official CDISC schemas, as odmlib's wheel ships them, compiled once each.

The tests and the ``--check`` of each export validate against these: an independent reading of
the file, never our own.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Any

from lxml import etree

SCHEMAS = {
    "odm-1.3.2": ("odm/1.3.2", "ODM1-3-2.xsd"),
    "define-2.1": ("define/2.1", "define2-1-0.xsd"),
}


@functools.cache
def schema(name: str) -> etree.XMLSchema:
    """The compiled XSD called ``name`` (a key of ``SCHEMAS``)."""
    folder, main = SCHEMAS[name]
    root = Path(str(resources.files("odmlib"))) / "schemas" / folder
    return etree.XMLSchema(etree.parse(str(root / main)))


def schema_errors(document: bytes, name: str) -> list[str]:
    """Every error the schema ``name`` finds in ``document`` (empty when valid)."""
    xsd = schema(name)
    tree = etree.fromstring(document)
    if xsd.validate(tree):
        return []
    return [f"line {e.line}: {e.message}" for e in xsd.error_log]


def fhir_errors(bundle: dict[str, Any]) -> list[str]:
    """What fhir.resources' R4 (R4B) models refuse in the bundle and in each of its resources."""
    from fhir.resources.R4B import get_fhir_model_class
    from pydantic import ValidationError

    errors: list[str] = []
    try:
        get_fhir_model_class("Bundle").model_validate(bundle)
    except ValidationError as exc:
        errors.append(f"Bundle: {exc}")
    for n, entry in enumerate(bundle.get("entry", []), 1):
        resource = entry["resource"]
        try:
            get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        except ValidationError as exc:
            errors.append(f"entry {n} ({resource['resourceType']}): {exc}")
    return errors
