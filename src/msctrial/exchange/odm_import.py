"""Another system's ODM 1.3.2 metadata read into msctrial form definitions (``forms.yaml``).

The first MetaDataVersion of the first Study is read: each FormDef becomes a form (its name
from its OID, ``F.BLOOD_GAS`` → ``blood_gas``, its label from its Name), holding the items of
its ItemGroupDefs in order; each ItemDef an item (its Name, its Question as the label), typed by
its DataType (float, double, integer → number; text, string → text, or a choice when it has a
CodeList; boolean; date), with its first MeasurementUnit's symbol as the unit, its RangeChecks
as hard and soft limits, its CodeList's coded values as the choices and its ItemRef's
Mandatory as required. The StudyEventDefs become the visit schedule (name and forms, in the
Protocol's order): ODM gives no study day, so the protocol still sets the days.

What does not map is reported, each as an ``Unmapped`` naming the construct, its OID and why:
ClinicalData (metadata only are imported), AdminData, repeating groups, conditions, methods,
comparators other than GE/LE/GT/LT, data types msctrial has no item for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml
from lxml import etree

from msctrial.core.errors import InvalidInput
from msctrial.exchange.odm import ODM_NS
from msctrial.exchange.odm_read import FIELD, parse_odm

_E = f"{{{ODM_NS}}}"
NUMBER_TYPES = ("float", "double", "integer")
TEXT_TYPES = ("text", "string")
# ODM types held as text in msctrial, with what is lost.
AS_TEXT = ("datetime", "time", "partialDate", "partialTime", "partialDatetime",
           "incompleteDatetime", "incompleteDate", "incompleteTime", "durationDatetime",
           "intervalDatetime", "URI")  # fmt: skip
NO_ITEM = ("base64Binary", "hexBinary", "base64Float")
_BOUND = {"GE": 0, "GT": 0, "LE": 1, "LT": 1}


@dataclass(frozen=True)
class Unmapped:
    construct: str  # the ODM element, e.g. "ItemDef" or "RangeCheck"
    oid: str
    reason: str
    kept: bool = False  # the item or form was made, without what ``reason`` names

    def __str__(self) -> str:
        made = "the rest kept" if self.kept else "left out"
        return f"{self.construct} {self.oid or '?'}: {self.reason} ({made})"


@dataclass(frozen=True)
class StudyInfo:
    code: str
    title: str
    version: str


@dataclass(frozen=True)
class OdmImport:
    """The forms (``forms.yaml`` data), the visits in order, the study, and what did not map."""

    study: StudyInfo
    forms: dict[str, dict[str, Any]]
    visits: tuple[dict[str, Any], ...]
    unmapped: tuple[Unmapped, ...]

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.forms, sort_keys=False, allow_unicode=True, width=100)


def _text(el: etree._Element | None, tag: str) -> str:
    """The first TranslatedText of ``el``'s child ``tag`` (English if marked), or ""."""
    if el is None:
        return ""
    child = el.find(_E + tag)
    if child is None:
        return ""
    texts = child.findall(_E + "TranslatedText")
    english = [t for t in texts if t.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"]
    chosen = (english or texts or [None])[0]
    return (chosen.text or "").strip() if chosen is not None else ""


def name_from_oid(value: str, prefix: str) -> str:
    """A form or item name from an OID: ``F.BLOOD_GAS`` → ``blood_gas``."""
    body = value[len(prefix) + 1 :] if value.upper().startswith(prefix + ".") else value
    return re.sub(r"[^a-z0-9]+", "_", body.lower()).strip("_") or "item"


def _item_name(item_def: etree._Element) -> str:
    name = item_def.get("Name", "")
    if re.fullmatch(r"[a-z][a-z0-9_]{0,39}", name):
        return name
    return name_from_oid(name or item_def.get("OID", ""), "I")[:40]


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


class _Reader:
    """One pass over a MetaDataVersion: its definitions by OID and what did not map."""

    def __init__(self, study: etree._Element, mdv: etree._Element) -> None:
        self.mdv = mdv
        self.unmapped: list[Unmapped] = []
        self.units = {
            mu.get("OID", ""): (_text(mu, "Symbol") or mu.get("Name", ""))
            for mu in study.iterfind(f"{_E}BasicDefinitions/{_E}MeasurementUnit")
        }
        self.defs = {
            tag: {el.get("OID", ""): el for el in mdv.iterfind(_E + tag)}
            for tag in ("StudyEventDef", "FormDef", "ItemGroupDef", "ItemDef", "CodeList")
        }

    def report(self, construct: str, oid: str, reason: str, kept: bool = False) -> None:
        self.unmapped.append(Unmapped(construct, oid, reason, kept))

    def visits(self, forms: dict[str, str]) -> list[dict[str, Any]]:
        refs = sorted(
            self.mdv.iterfind(f"{_E}Protocol/{_E}StudyEventRef"),
            key=lambda r: int(r.get("OrderNumber") or 0),
        )
        out = []
        for ref in refs:
            se = self.defs["StudyEventDef"].get(ref.get("StudyEventOID", ""))
            if se is None:
                continue
            if se.get("Repeating") == "Yes":
                self.report("StudyEventDef", se.get("OID", ""), "it repeats; msctrial's visits "
                            "happen once (read as one visit)", True)  # fmt: skip
            names = [forms[r.get("FormOID", "")] for r in se.iterfind(_E + "FormRef")
                     if r.get("FormOID", "") in forms]  # fmt: skip
            out.append({"name": se.get("Name", ""), "forms": names})
        return out

    def form(self, form_def: etree._Element) -> dict[str, Any]:
        oid = form_def.get("OID", "")
        if form_def.get("Repeating") == "Yes":
            self.report("FormDef", oid, "it repeats within a visit; msctrial's forms do not "
                        "(read as one form)", True)  # fmt: skip
        items = []
        for ref in form_def.iterfind(_E + "ItemGroupRef"):
            group = self.defs["ItemGroupDef"].get(ref.get("ItemGroupOID", ""))
            if group is None:
                continue
            if group.get("Repeating") == "Yes":
                self.report("ItemGroupDef", group.get("OID", ""), "it repeats; its items are "
                            "read once", True)  # fmt: skip
            item_refs = sorted(group.iterfind(_E + "ItemRef"),
                               key=lambda r: int(r.get("OrderNumber") or 0))  # fmt: skip
            for item_ref in item_refs:
                item = self.item(item_ref)
                if item is not None:
                    items.append(item)
        return {"label": form_def.get("Name") or oid, "items": items}

    def item(self, ref: etree._Element) -> dict[str, Any] | None:
        item_def = self.defs["ItemDef"].get(ref.get("ItemOID", ""))
        if item_def is None:
            return None
        oid, data_type = item_def.get("OID", ""), item_def.get("DataType", "")
        item: dict[str, Any] = {"name": _item_name(item_def)}
        item["label"] = _text(item_def, "Question") or item_def.get("Name") or oid
        code_ref = item_def.find(_E + "CodeListRef")
        code_list = None if code_ref is None else self.defs["CodeList"].get(
            code_ref.get("CodeListOID", "")
        )  # fmt: skip
        if data_type in NO_ITEM:
            self.report("ItemDef", oid, f"its data type {data_type} holds binary data, which "
                        "msctrial's forms do not store")  # fmt: skip
            return None
        if code_list is not None:
            item.update(self.choices(oid, code_list))
        elif data_type in NUMBER_TYPES:
            if data_type == "integer":
                self.report("ItemDef", oid, "whole numbers are not enforced (a number)", True)
        elif data_type in ("boolean", "date") or data_type in TEXT_TYPES:
            item["kind"] = "text" if data_type in TEXT_TYPES else data_type
        elif data_type in AS_TEXT:
            item["kind"] = "text"
            self.report("ItemDef", oid, f"its data type {data_type} is read as text", True)
        else:  # the XSD admits no other type; refuse rather than guess
            raise InvalidInput(
                f"{FIELD}: ItemDef {oid} has the data type {data_type!r}, which ODM 1.3.2 "
                "does not define",
                field=FIELD,
            )
        if ref.get("Mandatory") == "Yes":
            item["required"] = True
        if ref.get("MethodOID"):
            item["derived"] = True
            self.report("ItemRef", oid, f"its method {ref.get('MethodOID')} is not run by "
                        "msctrial (a derived item)", True)  # fmt: skip
        if ref.get("CollectionExceptionConditionOID"):
            self.report("ItemRef", oid, "its collection condition is not kept", True)
        if item.get("kind", "number") == "number":
            self.unit(item_def, item)
            self.ranges(item_def, item)
        return item

    def choices(self, oid: str, code_list: etree._Element) -> dict[str, Any]:
        coded = [(c.get("CodedValue", ""), _text(c, "Decode"))
                 for c in code_list.iterfind(_E + "CodeListItem")]  # fmt: skip
        coded += [(c.get("CodedValue", ""), "") for c in code_list.iterfind(_E + "EnumeratedItem")]
        if code_list.find(_E + "ExternalCodeList") is not None:
            self.report("CodeList", code_list.get("OID", ""), "it names an external dictionary; "
                        "its codes are not imported", True)  # fmt: skip
        out: dict[str, Any] = {"kind": "choice", "choices": [c for c, _ in coded]}
        if any(decode and decode != code for code, decode in coded):
            out["help"] = "codes: " + "; ".join(f"{c} = {d or c}" for c, d in coded)
        return out

    def unit(self, item_def: etree._Element, item: dict[str, Any]) -> None:
        """The first unit as the item's unit, any further ones as the units it accepts."""
        refs = [self.units.get(r.get("MeasurementUnitOID", ""), "")
                for r in item_def.iterfind(_E + "MeasurementUnitRef")]  # fmt: skip
        units = [u for u in refs if u]
        if units:
            item["unit"] = units[0]
        if len(units) > 1:
            item["units"] = units[1:]

    def ranges(self, item_def: etree._Element, item: dict[str, Any]) -> None:
        oid = item_def.get("OID", "")
        limits: dict[str, list[float | None]] = {}
        for check in item_def.iterfind(_E + "RangeCheck"):
            comparator = check.get("Comparator", "")
            values = [_number(v.text) for v in check.iterfind(_E + "CheckValue")]
            if comparator not in _BOUND or len(values) != 1 or values[0] is None:
                self.report("RangeCheck", oid, f"a {comparator or 'formal-expression'} check "
                            "is not a lower or upper limit msctrial holds", True)  # fmt: skip
                continue
            if comparator in ("GT", "LT"):
                self.report("RangeCheck", oid, f"{comparator} {values[0]:g} is held as an "
                            "inclusive limit", True)  # fmt: skip
            strength = "hard" if check.get("SoftHard") == "Hard" else "soft"
            limits.setdefault(strength, [None, None])[_BOUND[comparator]] = values[0]
        for strength in ("hard", "soft"):
            if strength in limits:
                item[strength] = limits[strength]


def _study_info(study: etree._Element, mdv: etree._Element) -> StudyInfo:
    gv = study.find(_E + "GlobalVariables")
    code = (gv.findtext(_E + "StudyName") or "").strip() if gv is not None else ""
    title = (gv.findtext(_E + "StudyDescription") or "").strip() if gv is not None else ""
    name = mdv.get("Name", "")
    version = name.rsplit(" version ", 1)[1] if " version " in name else mdv.get("OID", "")
    return StudyInfo(code or study.get("OID", ""), title or code, version)


def _report_outside(root: etree._Element, study: etree._Element, reader: _Reader) -> None:
    """The constructs around the metadata that an import of form definitions leaves out."""
    for tag, why in (
        ("ClinicalData", "clinical data are not imported (form definitions only)"),
        ("ReferenceData", "reference data are not imported"),
        ("AdminData", "users, sites and signatures are not imported"),
        ("Association", "associations are not imported"),
    ):
        for el in root.iterfind(_E + tag):
            reader.report(tag, el.get("StudyOID", ""), why)
    for tag in ("ConditionDef", "MethodDef", "ArchitectureDef", "Presentation", "Include"):
        for el in reader.mdv.iterfind(_E + tag):
            reader.report(tag, el.get("OID", ""), "msctrial's forms have no such definition")
    for extra in root.findall(_E + "Study")[1:]:
        reader.report("Study", extra.get("OID", ""), "only the first Study is read")
    for extra in study.findall(_E + "MetaDataVersion")[1:]:
        reader.report("MetaDataVersion", extra.get("OID", ""), "only the first is read")


def read_odm(document: bytes) -> OdmImport:
    """Forms and visits from an ODM 1.3.2 document's metadata; every construct left out named."""
    root = parse_odm(document)
    study = root.find(_E + "Study")
    mdv = study.find(_E + "MetaDataVersion") if study is not None else None
    if study is None or mdv is None:
        raise InvalidInput(f"{FIELD}: the file has no Study with a MetaDataVersion", field=FIELD)
    reader = _Reader(study, mdv)
    forms: dict[str, dict[str, Any]] = {}
    form_names: dict[str, str] = {}
    for oid_, form_def in reader.defs["FormDef"].items():
        name = name_from_oid(oid_, "F")
        if name in forms:
            reader.report("FormDef", oid_, f"its name {name!r} is another form's")
            continue
        spec = reader.form(form_def)
        if not spec["items"]:
            reader.report("FormDef", oid_, "it holds no item msctrial can store")
            continue
        forms[name] = spec
        form_names[oid_] = name
    visits = reader.visits(form_names)
    _report_outside(root, study, reader)
    return OdmImport(_study_info(study, mdv), forms, tuple(visits), tuple(reader.unmapped))
