"""The words pages show that are not written in a template: stored values and their labels.

A status, a severity or a KRI flag is stored as a word (``screen_failure``) and shown through
the ``term`` filter; a SUSAR report's name or a visit form's label is written once, in its
package. ``make i18n-extract`` collects them here (``babel.cfg`` names ``extract_words`` and
``extract_forms`` as extractors), so a new enum member or form item reaches the catalogue, and
the completeness test, without being copied.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from enum import Enum
from typing import IO, Any

import yaml

from msctrial.clinical.safety import rules as safety
from msctrial.clinical.subjects import model as subjects
from msctrial.monitoring import model as monitoring
from msctrial.protocol import terms

# Stored words that no enum lists: lot and unit states, subject statuses, audit actions,
# scorecard statuses, registry statuses (ClinicalTrials.gov's, lower case), endpoint kinds.
WORDS = (
    "deviation",
    "advice",
    "primary",
    "secondary",
    "safety",
    "quarantine",
    "released",
    "rejected",
    "recalled",
    "available",
    "dispensed",
    "used",
    "destroyed",
    "prescreening",
    "screening",
    "screen failure",
    "randomised",
    "completed",
    "withdrawn",
    "died",
    "female",
    "male",
    "insert",
    "update",
    "void",
    "release",
    "reject",
    "recall",
    "pass",
    "warn",
    "fail",
    "info",
    "identity",
    "purity",
    "potency",
    "viability",
    "cell count",
    "recruiting",
    "not yet recruiting",
    "active, not recruiting",
    "enrolling by invitation",
    "terminated",
    "suspended",
    "unknown status",
    "unknown",
    "randomisation",
    "infusion",
    "enrolment",
    "design",
    "conduct",
    "execution quality",
    "data quality",
    "safety reporting",
)

# Refusals the pages show as written in the services: the fixed ones (a message with a value
# in it stays English until its service says it in parts).
MESSAGES = (
    "unknown username or wrong password",
    "log in to continue",
    "the form has expired or did not come from this site; reload the page and try again",
    "log in to keep a language for your account",
)


def _enum_words(*enums: type[Enum]) -> Iterator[str]:
    for enum in enums:
        for member in enum:
            yield str(member.value).replace("_", " ")


def words() -> Iterator[str]:
    """Every stored word and Python-written label a page shows in the reader's language."""
    yield from WORDS
    yield from MESSAGES
    yield from _enum_words(
        terms.Severity,
        terms.ArmType,
        terms.ProductKind,
        terms.TissueSource,
        terms.Donor,
        terms.Route,
        terms.DoseUnit,
        terms.Allocation,
        terms.Masking,
        terms.ControlType,
        terms.Phase,
        terms.Measure,
        monitoring.Intensity,
        monitoring.Method,
    )
    yield from _enum_words(*_enums_in(safety))
    yield from _enum_words(*_enums_in(subjects))
    for table in (
        safety.REPORT_LABELS,
        safety.ASSESSMENT_LABELS,
        safety.CONCLUSION_LABELS,
        safety.GRADE_MEANING,
    ):
        yield from (str(v) for v in table.values())
    yield from safety.ASSESSMENT_TOLD


def _enums_in(module: Any) -> list[type[Enum]]:
    return [
        v
        for v in vars(module).values()
        if isinstance(v, type) and issubclass(v, Enum) and v.__module__ == module.__name__
    ]


def form_words(forms: dict[str, Any]) -> Iterator[str]:
    """The labels, choices, units and help of the visit forms (``clinical/visits/forms.yaml``)."""
    for form in forms.values():
        if not isinstance(form, dict):
            continue
        yield form["label"]
        for item in form.get("items", []):
            yield item["label"]
            yield from (str(c).replace("_", " ") for c in item.get("choices", []))
            if item.get("help"):
                yield str(item["help"])


def _entries(texts: Iterable[str]) -> Iterator[tuple[int, None, str, list[str]]]:
    seen: set[str] = set()
    for text in texts:
        if text and text not in seen:
            seen.add(text)
            yield (0, None, text, [])


def extract_words(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, None, str, list[str]]]:
    """Babel extractor: the stored words (the file it is given, this module, is not read)."""
    return _entries(words())


def extract_forms(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, None, str, list[str]]]:
    """Babel extractor for ``forms.yaml``."""
    return _entries(form_words(yaml.safe_load(fileobj)))
