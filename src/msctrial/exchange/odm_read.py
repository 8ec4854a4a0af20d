"""An ODM file read safely: parsed by a hardened lxml parser and checked against the ODM 1.3.2 XSD.

The parser resolves no entity, loads no DTD and fetches nothing from the network; a document
that declares a DOCTYPE at all is refused (an ODM file has no use for one, and entity
declarations are how XXE and "billion laughs" files attack a reader). Every refusal is one
``InvalidInput`` naming what is wrong, before anything is mapped.
"""

from __future__ import annotations

from lxml import etree

from msctrial.core.errors import InvalidInput
from msctrial.exchange.validate import schema

FIELD = "odm"


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_odm(document: bytes) -> etree._Element:
    """The root of a well-formed, schema-valid ODM 1.3.2 document, or InvalidInput saying why."""
    try:
        tree = etree.ElementTree(etree.fromstring(document, _parser()))
    except etree.XMLSyntaxError as exc:
        raise InvalidInput(
            f"{FIELD}: the file is not well-formed XML ({exc})", field=FIELD
        ) from None
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise InvalidInput(
            f"{FIELD}: the file declares a DOCTYPE; ODM files have none and entity "
            "declarations are refused (give the ODM export itself)",
            field=FIELD,
        )
    root = tree.getroot()
    if any(isinstance(node, etree._Entity) for node in root.iter()):
        raise InvalidInput(f"{FIELD}: the file refers to an entity; none is read", field=FIELD)
    xsd = schema("odm-1.3.2")
    if not xsd.validate(tree):
        first = xsd.error_log[0]
        raise InvalidInput(
            f"{FIELD}: not valid ODM 1.3.2 (CDISC's XSD, line {first.line}: {first.message})",
            field=FIELD,
        )
    return root
