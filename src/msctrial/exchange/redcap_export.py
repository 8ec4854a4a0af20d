"""msctrial's forms and values in REDCap's layouts: a data dictionary and flat records.

The dictionary's first field is ``record_id`` (the subject code); then each form's items in
order, the form's label as the Section Header of its first field. A number is a ``text`` field
validated ``number`` with its soft range (else its hard range) as Min/Max and its unit as the
Field Note; a choice is a ``dropdown``; a yes/no item is ``yesno``; a date is ``text``
validated ``date_ymd``; a derived item is a read-only number (``@READONLY``), since REDCap
cannot run msctrial's derivations. What REDCap has no column for rides in the Field
Annotation as ``msctrial={...}``, so that importing the dictionary gives the same forms.

The records are REDCap's flat import layout: one row per record and event (``record_id``,
``redcap_event_name``, then every field), yes/no as 1/0, dates as YYYY-MM-DD.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from msctrial.clinical.visits.forms import Form, Item, ItemKind
from msctrial.exchange.redcap import COLUMNS, KEYS, format_choices, unique_event_name

RECORD_ID = "record_id"


def _limits(lim: Any) -> list[float | None] | None:
    return None if lim is None else [lim.low, lim.high]


def _extras(item: Item) -> dict[str, Any]:
    extras: dict[str, Any] = {}
    if item.unit:
        extras["unit"] = item.unit
    for key in ("units", "choices"):
        if getattr(item, key):
            extras[key] = list(getattr(item, key))
    for key in ("hard", "soft"):
        if getattr(item, key) is not None:
            extras[key] = _limits(getattr(item, key))
    for key in ("reference", "scale", "source", "help"):
        if getattr(item, key):
            extras[key] = getattr(item, key)
    if item.derived:
        extras["derived"] = True
    return extras


def _shown(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def field_row(form: Form, item: Item, section: str = "") -> dict[str, str]:
    row = dict.fromkeys(KEYS, "")
    row.update(field=item.name, form=form.name, section=section, label=item.label)
    row["required"] = "y" if item.required else ""
    if item.kind is ItemKind.number:
        row.update(type="text", validation="number", note=item.unit or "")
        limits = item.soft or item.hard
        if limits is not None:
            row.update(min=_shown(limits.low), max=_shown(limits.high))
    elif item.kind is ItemKind.choice:
        choices = [(c, c.replace("_", " ").capitalize()) for c in item.choices]
        row.update(type="dropdown", choices=format_choices(choices))
    elif item.kind is ItemKind.boolean:
        row["type"] = "yesno"
    elif item.kind is ItemKind.date:
        row.update(type="text", validation="date_ymd")
    else:
        row["type"] = "notes"
    tags = "@READONLY " if item.derived else ""
    row["annotation"] = tags + "msctrial=" + json.dumps(_extras(item), ensure_ascii=False)
    return row


def dictionary_rows(forms: Iterable[Form]) -> list[list[str]]:
    """The data dictionary as CSV rows, header first."""
    forms = list(forms)
    rows = [list(COLUMNS)]
    if not forms:
        return rows
    first = dict.fromkeys(KEYS, "")
    first.update(field=RECORD_ID, form=forms[0].name, section=forms[0].label, type="text")
    first["label"] = "Subject code"
    rows.append([first[k] for k in KEYS])
    for n, form in enumerate(forms):
        for m, item in enumerate(form.items):
            section = form.label if m == 0 and n > 0 else ""
            row = field_row(form, item, section)
            rows.append([row[k] for k in KEYS])
    return rows


def record_columns(forms: Iterable[Form]) -> list[tuple[str, str, ItemKind]]:
    """The flat records' field columns: (REDCap field, ``form.item`` of the wide layout, kind)."""
    return [(i.name, f"{f.name}.{i.name}", i.kind) for f in forms for i in f.items]


def _value(kind: ItemKind, value: Any) -> Any:
    if value is None:
        return ""
    if kind is ItemKind.boolean:
        return {"true": "1", "false": "0"}.get(str(value), value)
    if isinstance(value, float):
        return repr(value)
    return value


def record_rows(
    wide: Iterable[tuple[Any, ...]], wide_names: tuple[str, ...], forms: Iterable[Form]
) -> Iterator[tuple[Any, ...]]:
    """Flat REDCap rows from the wide layout's rows (whose columns are ``wide_names``)."""
    columns = record_columns(forms)
    where = {name: n for n, name in enumerate(wide_names)}
    picks = [(where[key], kind) for _, key, kind in columns]
    for row in wide:
        subject, visit = row[where["subject"]], row[where["visit"]]
        yield (subject, unique_event_name(visit), *(_value(k, row[n]) for n, k in picks))


def records_header(forms: Iterable[Form]) -> list[str]:
    return [RECORD_ID, "redcap_event_name", *(name for name, _, _ in record_columns(forms))]
