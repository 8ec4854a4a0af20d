"""A REDCap data dictionary read into msctrial form definitions (the ``forms.yaml`` format).

Each field becomes an item of the form its *Form Name* names, or is reported: a row is
``Unmapped`` with its line number, field and why, and ``kept`` says whether an item was made
all the same (with that part left out) or not at all. What maps:

- ``text`` by its validation: integer and number types → a number item, Min/Max → its soft
  range (REDCap warns outside it and lets the user confirm); dates → a date item; datetime,
  time, e-mail, phone and the rest → text, their check reported as not enforced;
- ``notes`` → text; ``dropdown`` and ``radio`` → a choice of their codes (labels that differ
  from the codes are kept in the item's help); ``yesno`` and ``truefalse`` → boolean;
- ``checkbox`` → one boolean item per choice, ``field___code``, as REDCap exports them;
- ``slider`` → a number with the slider's range (0–100 unless Min/Max say) as its hard range;
- ``calc`` → a derived number whose formula msctrial does not run (reported);
- ``file``, ``descriptive`` and ``sql`` hold nothing msctrial stores (reported, no item);
- *Required Field?* ``y`` → required; a number's *Field Note*, when it is a unit → its unit
  (otherwise the note is the item's help);
- *Branching Logic* of plain comparisons joined by ``and`` / ``or`` → a sentence in the help
  ("asked when …"); functions, parentheses, events and smart variables are reported.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from msctrial.core.errors import InvalidInput
from msctrial.core.units import parse_unit
from msctrial.exchange.redcap import (
    DATE_VALIDATIONS,
    KEYS,
    NUMBER_VALIDATIONS,
    SLIDER_RANGE,
    TEXT_VALIDATIONS,
    YES_NO,
    is_field_name,
    parse_choices,
)

MAX_NAME = 40  # form_value.item's length
ITEM_KEYS = (
    "name", "label", "kind", "unit", "units", "hard", "soft", "reference", "choices", "required",
    "derived", "scale", "source", "help",
)  # fmt: skip


@dataclass(frozen=True)
class Unmapped:
    row: int  # the line of the dictionary file (the header is line 1)
    field: str
    reason: str
    kept: bool = False  # an item was made, without what ``reason`` names

    def __str__(self) -> str:
        made = "item kept" if self.kept else "no item"
        return f"line {self.row}, {self.field or '?'}: {self.reason} ({made})"


@dataclass(frozen=True)
class DictionaryImport:
    """The forms (``forms.yaml`` data), the record identifier, and what did not map."""

    forms: dict[str, dict[str, Any]]
    record_id: str | None
    unmapped: tuple[Unmapped, ...]

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.forms, sort_keys=False, allow_unicode=True, width=100)


@dataclass
class _Field:
    type: str
    choices: dict[str, str] = field(default_factory=dict)


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", ".")) if text.strip() else None
    except ValueError:
        return None


def _unit(note: str) -> str | None:
    """The unit a field note gives ("mmHg", "Unit: mg/L", "(10^9/L)"), or None."""
    text = re.sub(r"^(units?|in)\s*[:=]?\s*", "", note.strip(), flags=re.I).strip("() ")
    if not text or len(text) > 24 or re.search(r"\s[a-z]{4,}", text):
        return None
    try:
        parsed = parse_unit(text)
    except InvalidInput:
        return None
    return text if hasattr(parsed, "dimensionality") else None


_CLAUSE = re.compile(
    r"^\[(?P<field>[a-z][a-z0-9_]*)(?:\((?P<code>[^)]+)\))?\]\s*"
    r"(?P<op><>|!=|>=|<=|=|>|<)\s*(?P<value>'[^']*'|\"[^\"]*\"|-?\d+(?:\.\d+)?)$"
)
_OPS = {"=": "is", "<>": "is not", "!=": "is not", ">": ">", "<": "<", ">=": "≥", "<=": "≤"}


def branching_sentence(logic: str, fields: dict[str, _Field]) -> str:
    """``[a] = '1' and [b] > 5`` as "asked when a is yes and b > 5"; ValueError if it does not
    map (its reason)."""
    if "][" in logic or "[event-name]" in logic:
        raise ValueError("it refers to another event")
    if "(" in re.sub(r"\[[a-z0-9_]+\([^)]*\)\]", "", logic):
        raise ValueError("it uses parentheses or a function")
    parts = re.split(r"\s+(and|or)\s+", logic.strip(), flags=re.I)
    words = []
    for n, part in enumerate(parts):
        if n % 2:
            words.append(part.lower())
            continue
        m = _CLAUSE.match(part.strip())
        if m is None:
            raise ValueError(f"{part.strip()!r} is not a comparison of a field with a value")
        name, code, op, value = m["field"], m["code"], m["op"], m["value"].strip("'\"")
        info = fields.get(name)
        if info is None:
            raise ValueError(f"it refers to {name}, which is not an earlier field")
        if code is not None:
            if info.type != "checkbox" or op not in ("=", "<>", "!="):
                raise ValueError(f"[{name}({code})] is not a checkbox choice compared with 1 or 0")
            ticked = (value == "1") == (op == "=")
            words.append(f"{name} {code} is {'ticked' if ticked else 'not ticked'}")
            continue
        shown = value
        if info.type in YES_NO:
            shown = YES_NO[info.type].get(value, value)
        elif value in info.choices and info.choices[value] != value:
            shown = f"{value} ({info.choices[value]})"
        elif value == "":
            shown = "empty"
        words.append(f"{name} {_OPS[op]} {shown}")
    return "asked when " + " ".join(words)


def _rows(text: str) -> list[tuple[int, dict[str, str]]]:
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if not header or not header[0].strip().lower().startswith("variable"):
        raise InvalidInput(
            "dictionary: the first column must be 'Variable / Field Name'; give a REDCap data "
            "dictionary CSV (Project Setup → Data Dictionary → Download)",
            field="dictionary",
        )
    out = []
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        cells = [c.strip() for c in cells] + [""] * len(KEYS)
        out.append((line, dict(zip(KEYS, cells[: len(KEYS)], strict=True))))
    return out


class _Reader:
    """The state of one pass over a dictionary: the forms so far and what did not map."""

    def __init__(self) -> None:
        self.forms: dict[str, dict[str, Any]] = {}
        self.fields: dict[str, _Field] = {}
        self.unmapped: list[Unmapped] = []

    def report(self, line: int, name: str, reason: str, kept: bool = False) -> None:
        self.unmapped.append(Unmapped(line, name, reason, kept))

    def add(self, form: str, section: str, item: dict[str, Any]) -> None:
        spec = self.forms.setdefault(
            form, {"label": section or form.replace("_", " ").capitalize(), "items": []}
        )
        spec["items"].append({k: item[k] for k in ITEM_KEYS if k in item})

    def read(self, line: int, row: dict[str, str]) -> None:
        name, kind = row["field"], row["type"].lower()
        if not is_field_name(name) or len(name) > MAX_NAME:
            why = "is longer than 40 characters" if is_field_name(name) else "is not a field name"
            self.report(line, name, f"the name {why}")
            return
        if name in self.fields:
            self.report(line, name, "the field is defined twice; the first is kept")
            return
        if not row["form"]:
            self.report(line, name, "it has no Form Name")
            return
        try:
            choices = (
                parse_choices(row["choices"]) if kind in ("dropdown", "radio", "checkbox") else []
            )
        except ValueError as exc:
            self.report(line, name, str(exc))
            return
        self.fields[name] = _Field(kind, dict(choices))
        items = self.items(line, row, kind, choices)
        if not items:
            return
        extras = _annotation(row["annotation"])
        if extras is None:
            extras = {}
            if row["annotation"]:
                self.report(line, name, f"its action tags {row['annotation']!r} are not kept", True)
        for n, item in enumerate(items):
            if row["required"].lower() in ("y", "yes", "1") and kind != "checkbox":
                item["required"] = True
            self.branching(line, name, row["branching"], item)
            if extras:  # msctrial's own export: its attributes replace what was read
                kept = ("name", "label", "kind", "required")
                item = {k: v for k, v in item.items() if k in kept} | extras
            section = row["section"] if n == 0 and not self.forms.get(row["form"]) else ""
            self.add(row["form"], section, item)
        if row["identifier"].lower() in ("y", "yes"):
            self.report(line, name, "it is marked an identifier; msctrial's forms are "
                        "pseudonymised: check it holds no name or contact", True)  # fmt: skip

    def branching(self, line: int, name: str, logic: str, item: dict[str, Any]) -> None:
        if not logic:
            return
        try:
            sentence = branching_sentence(logic, self.fields)
        except ValueError as exc:
            self.report(line, name, f"its branching logic {logic!r} does not map: {exc}", True)
            return
        item["help"] = f"{item['help']}; {sentence}" if item.get("help") else sentence

    def items(
        self, line: int, row: dict[str, str], kind: str, choices: list[tuple[str, str]]
    ) -> list[dict[str, Any]]:
        name, label, note = row["field"], row["label"] or row["field"], row["note"]
        item: dict[str, Any] = {"name": name, "label": label}
        low, high = _number(row["min"]), _number(row["max"])
        if kind == "text":
            item.update(self.text(line, name, row["validation"], row["min"], row["max"]))
        elif kind == "notes":
            item["kind"] = "text"
        elif kind in ("dropdown", "radio"):
            item.update(kind="choice", choices=[c for c, _ in choices])
            if any(c != lab for c, lab in choices):
                item["help"] = "codes: " + "; ".join(f"{c} = {lab}" for c, lab in choices)
        elif kind in YES_NO:
            item["kind"] = "boolean"
        elif kind == "checkbox":
            return [
                {"name": f"{name}___{c.lower()}", "label": f"{label}: {lab}", "kind": "boolean"}
                for c, lab in choices
            ]
        elif kind == "calc":
            item.update(derived=True, help=f"REDCap calculation: {row['choices']}")
            self.report(line, name, "its calculation is not run by msctrial (a derived item "
                        "with the formula in its help)", True)  # fmt: skip
        elif kind == "slider":
            lo, hi = SLIDER_RANGE
            item["hard"] = [lo if low is None else low, hi if high is None else high]
            if row["choices"]:
                item["help"] = "slider: " + row["choices"]
        else:
            why = {
                "file": "msctrial's forms hold no uploaded files or signatures",
                "descriptive": "descriptive text holds no value",
                "sql": "its choices come from a query on the REDCap server's database",
            }.get(kind, f"{kind!r} is not a REDCap field type")
            self.report(line, name, why)
            return []
        if note:
            unit = _unit(note) if item.get("kind", "number") == "number" else None
            if unit:
                item["unit"] = unit
            else:
                item["help"] = f"{note}; {item['help']}" if item.get("help") else note
        return [item]

    def text(self, line: int, name: str, validation: str, low: str, high: str) -> dict[str, Any]:
        v = validation.lower()
        if v in NUMBER_VALIDATIONS:
            lo, hi = _number(low), _number(high)
            return {} if lo is None and hi is None else {"soft": [lo, hi]}
        if v in DATE_VALIDATIONS:
            if low or high:
                self.report(line, name, f"its date range {low}–{high} is not kept", True)
            return {"kind": "date"}
        if v:
            why = (
                "is not checked by msctrial"
                if v in TEXT_VALIDATIONS
                else "is not a REDCap validation"
            )
            self.report(line, name, f"its validation {v!r} {why} (kept as text)", True)
        return {"kind": "text"}


def _annotation(text: str) -> dict[str, Any] | None:
    """msctrial's own attributes from ``msctrial={...}`` in a Field Annotation; None if it has
    none ({} if it holds only REDCap's ``@READONLY``, which an msctrial export writes)."""
    m = re.search(r"msctrial=(\{.*\})", text)
    if m is None:
        return {} if text.strip() in ("", "@READONLY") else None
    return dict(json.loads(m.group(1)))


def read_dictionary(text: str) -> DictionaryImport:
    """Forms from a REDCap data dictionary's CSV text; every row that did not map reported."""
    rows = _rows(text)
    reader = _Reader()
    record_id = None
    if rows:
        line, first = rows[0]
        record_id = first["field"]
        reader.fields[record_id] = _Field("text")
        if first["form"]:  # its Section Header labels its form
            reader.forms[first["form"]] = {
                "label": first["section"] or first["form"].replace("_", " ").capitalize(),
                "items": [],
            }
        rows = rows[1:]  # the record identifier: msctrial's subject code
    for line, row in rows:
        reader.read(line, row)
    forms = {name: spec for name, spec in reader.forms.items() if spec["items"]}
    return DictionaryImport(forms, record_id, tuple(reader.unmapped))
