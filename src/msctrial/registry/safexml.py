"""XML from outside, parsed without entity expansion or external references (defusedxml) and
refused past a depth no registry record reaches."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException

from msctrial.registry.limits import MAX_XML_DEPTH


class BadXml(ValueError):
    """Not well-formed, forbidden (a DTD entity, an external reference) or nested too deep."""


def parse(raw: bytes) -> ET.Element:
    """The root element of one XML document."""
    root: ET.Element | None = None
    for _, el in iterparse(raw, ("start",)):
        if root is None:
            root = el
    if root is None:
        raise BadXml("no root element")
    return root


def iterparse(
    raw: bytes, events: tuple[str, ...] = ("start", "end")
) -> Iterator[tuple[str, ET.Element]]:
    """(event, element) pairs; ``BadXml`` for any damage, with expat's line and column."""
    depth = 0
    try:
        for event, el in DET.iterparse(io.BytesIO(raw), events=("start", "end")):
            if event == "start":
                depth += 1
                if depth > MAX_XML_DEPTH:
                    raise BadXml(f"nested more than {MAX_XML_DEPTH} elements deep")
            else:
                depth -= 1
            if event in events:
                yield event, el
    except ET.ParseError as exc:
        raise BadXml(f"malformed XML: {exc}") from None
    except DefusedXmlException as exc:
        raise BadXml(f"XML refused: {exc}") from None
    except (ValueError, LookupError) as exc:  # an unknown encoding declared, for instance
        raise BadXml(f"unreadable XML: {exc}") from None
