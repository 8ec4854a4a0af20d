"""REDCap's data dictionary and its facts: columns, field types, validations, choice syntax.

A REDCap project is defined by its data dictionary, a CSV with one row per field and the 18
columns below (as REDCap's *Download the current Data Dictionary* writes them). Field names
are unique in the project and the first field of the first instrument is the record
identifier. Choices are written ``1, Yes | 2, No``; a yes/no field is stored 1 (yes) / 0 (no),
a true/false field 1 / 0; a checkbox field is one column per choice, ``field___code``, 1 when
ticked. Text validation ``Min``/``Max`` is a range REDCap warns about but lets the user
confirm, so it is msctrial's *soft* range. Sources: REDCap's data dictionary guide (Vanderbilt,
"Data Dictionary Excel Spreadsheet Columns") and its Help & FAQ on field validation.

msctrial's own attributes that REDCap has no column for (hard limits, further units, the
reference range, scale, source, help, derived) ride in the Field Annotation as
``msctrial={...}`` (JSON), which REDCap keeps as a note; a form's label rides as the Section
Header of its first field.
"""

from __future__ import annotations

import re

COLUMNS = (
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
)
# Short names for the columns, in order (a dictionary's header may vary in wording: REDCap's
# older exports say "Branching Logic (Show field only if...)", hand-made ones "Branching Logic").
KEYS = (
    "field", "form", "section", "type", "label", "choices", "note", "validation", "min", "max",
    "identifier", "branching", "required", "alignment", "question", "matrix", "ranking",
    "annotation",
)  # fmt: skip

FIELD_TYPES = (
    "text", "notes", "dropdown", "radio", "checkbox", "yesno", "truefalse", "calc", "file",
    "slider", "descriptive", "sql",
)  # fmt: skip
NUMBER_VALIDATIONS = frozenset(
    {"integer", "number", "number_1dp", "number_2dp", "number_3dp", "number_4dp"}
    | {f"number{s}_comma_decimal" for s in ("", "_1dp", "_2dp", "_3dp", "_4dp")}
)
DATE_VALIDATIONS = frozenset({"date_ymd", "date_mdy", "date_dmy"})
# Kept as text, their check not enforced by msctrial: a datetime, a time, an e-mail address...
TEXT_VALIDATIONS = frozenset(
    {f"datetime_{o}" for o in ("ymd", "mdy", "dmy")}
    | {f"datetime_seconds_{o}" for o in ("ymd", "mdy", "dmy")}
    | {"time", "time_hh_mm_ss", "time_mm_ss", "email", "phone", "phone_australia", "zipcode"}
    | {"postalcode_canada", "postalcode_australia", "postalcode_french", "postalcode_germany"}
    | {"alpha_only", "mrn_10d", "mrn_generic", "ssn", "vmrn", "signature"}
)
SLIDER_RANGE = (0.0, 100.0)  # REDCap's slider scale unless Min/Max say otherwise
YES_NO = {"yesno": {"1": "yes", "0": "no"}, "truefalse": {"1": "true", "0": "false"}}

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def parse_choices(text: str) -> list[tuple[str, str]]:
    """``"1, Yes | 2, No"`` → ``[("1", "Yes"), ("2", "No")]``; a choice without a comma is
    its own code and label. Raises ValueError on an empty code."""
    out = []
    for part in text.split("|"):
        part = part.strip()
        if not part:
            continue
        code, _, label = part.partition(",")
        code, label = code.strip(), label.strip()
        if not code:
            raise ValueError(f"the choice {part!r} has no code")
        out.append((code, label or code))
    return out


def format_choices(choices: list[tuple[str, str]]) -> str:
    return " | ".join(f"{code}, {label}" for code, label in choices)


def is_field_name(name: str) -> bool:
    """REDCap's rule: lower-case letters, digits and underscores, starting with a letter."""
    return bool(_NAME.match(name))


def unique_event_name(visit: str, arm: int = 1) -> str:
    """REDCap's unique event name of an event: ``Day 0`` → ``day_0_arm_1``."""
    base = re.sub(r"[^a-z0-9]+", "_", visit.lower()).strip("_")[:18].strip("_")
    return f"{base or 'event'}_arm_{arm}"
