"""Define-XML 2.1: the metadata of the SDTM datasets written beside it. Pure.

One ItemGroupDef per domain (its class, structure and the file it is in), one ItemDef per
variable with its type, length, label and origin. Lengths are the longest value written, as
the FDA's conformance guide asks, so the file describes exactly the datasets beside it.
"""

from __future__ import annotations

import datetime as dt

from lxml import etree

from msctrial.exchange.model import oid
from msctrial.exchange.sdtm import Domain

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
DEF_NS = "http://www.cdisc.org/ns/def/v2.1"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_O, _D = f"{{{ODM_NS}}}", f"{{{DEF_NS}}}"
SDTMIG = ("SDTMIG", "3.3")


def _el(parent: etree._Element, tag: str, **attrs: str) -> etree._Element:
    return etree.SubElement(parent, tag, attrs)


def _description(parent: etree._Element, text: str) -> None:
    desc = _el(parent, _O + "Description")
    _el(desc, _O + "TranslatedText", **{XML_LANG: "en"}).text = text


def _length(domain: Domain, name: str) -> int:
    return max([1, *(len(str(r.get(name) or "")) for r in domain.rows)])


def variable_oid(domain: str, name: str) -> str:
    return oid("IT", domain, name)


def define_document(
    study: str,
    title: str,
    domains: tuple[Domain, ...],
    files: dict[str, str],
    now: dt.datetime,
    lengths: dict[str, dict[str, int]] | None = None,
) -> etree._Element:
    """The Define-XML root; ``files`` maps each domain to the file name it was written to, and
    ``lengths`` each domain's text variables to their longest value (measured from its rows if
    not given: a streamed domain's rows are not at hand)."""
    root = etree.Element(
        _O + "ODM",
        {
            "FileType": "Snapshot",
            "FileOID": f"{oid('DEF', study)}.{now:%Y%m%dT%H%M%S}",
            "CreationDateTime": now.isoformat(timespec="seconds"),
            "ODMVersion": "1.3.2",
            "Originator": "msctrial",
            _D + "Context": "Other",
        },
        nsmap={None: ODM_NS, "def": DEF_NS, "xlink": XLINK_NS},
    )
    study_el = _el(root, _O + "Study", OID=oid("ST", study))
    gv = _el(study_el, _O + "GlobalVariables")
    _el(gv, _O + "StudyName").text = study
    _el(gv, _O + "StudyDescription").text = title
    _el(gv, _O + "ProtocolName").text = study
    mdv = _el(
        study_el,
        _O + "MetaDataVersion",
        OID=oid("MDV", "SDTM", study),
        Name=f"{study} SDTM",
        **{_D + "DefineVersion": "2.1.0"},
    )
    standards = _el(mdv, _D + "Standards")
    _el(standards, _D + "Standard", OID="STD.SDTMIG", Name=SDTMIG[0], Type="IG",
        Version=SDTMIG[1], Status="Final")  # fmt: skip
    for domain in domains:
        ig = _el(
            mdv,
            _O + "ItemGroupDef",
            OID=oid("IG", domain.name),
            Name=domain.name,
            Repeating="No" if domain.name == "DM" else "Yes",
            Domain=domain.name,
            SASDatasetName=domain.name,
            IsReferenceData="No",
            Purpose="Tabulation",
            **{
                _D + "Structure": domain.structure,
                _D + "StandardOID": "STD.SDTMIG",
                _D + "ArchiveLocationID": oid("LF", domain.name),
            },
        )
        _description(ig, domain.label)
        for n, var in enumerate(domain.variables, 1):
            _el(ig, _O + "ItemRef", ItemOID=variable_oid(domain.name, var.name),
                OrderNumber=str(n), Mandatory="Yes" if n <= 3 else "No")  # fmt: skip
        _el(ig, _D + "Class", Name=domain.klass)
        leaf = _el(
            ig,
            _D + "leaf",
            ID=oid("LF", domain.name),
            **{f"{{{XLINK_NS}}}href": files[domain.name]},
        )
        _el(leaf, _D + "title").text = files[domain.name]
    for domain in domains:
        for var in domain.variables:
            attrs = {"OID": variable_oid(domain.name, var.name), "Name": var.name,
                     "SASFieldName": var.name}  # fmt: skip
            if var.numeric:
                attrs["DataType"] = "float"
                attrs["Length"] = "8"
                attrs["SignificantDigits"] = "6"
            else:
                attrs["DataType"] = "text"
                known = (lengths or {}).get(domain.name, {}).get(var.name)
                attrs["Length"] = str(known or _length(domain, var.name))
            item = _el(mdv, _O + "ItemDef", **attrs)
            _description(item, var.label)
            _el(item, _D + "Origin", Type=var.origin)
    return root


def define_bytes(
    study: str,
    title: str,
    domains: tuple[Domain, ...],
    files: dict[str, str],
    now: dt.datetime,
    lengths: dict[str, dict[str, int]] | None = None,
) -> bytes:
    return etree.tostring(
        define_document(study, title, domains, files, now, lengths),
        xml_declaration=True,
        encoding="UTF-8",
        pretty_print=True,
    )
