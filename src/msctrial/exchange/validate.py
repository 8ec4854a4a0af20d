"""The official CDISC schemas, as odmlib's wheel ships them, compiled once each.

The tests and the ``--check`` of each export validate against these: an independent reading of
the file, never our own.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

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
