"""What an export holds, as plain frozen data: the study's metadata and what the reader may see.

Built by ``source.gather`` from the clinical read side; every format maps from these types
and nothing else, so a blinded reader's ``TrialData`` has no arm, lot or volume to leak.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from msctrial.core.errors import InvalidInput


@dataclass(frozen=True)
class ItemMeta:
    name: str
    label: str
    kind: str  # number | choice | boolean | date | text (visits.forms.ItemKind)
    unit: str | None
    hard: tuple[float | None, float | None] | None
    soft: tuple[float | None, float | None] | None
    choices: tuple[str, ...]
    required: bool
    derived: bool
    reference: str | None = None  # the typical adult range as forms.yaml writes it


@dataclass(frozen=True)
class FormMeta:
    name: str
    label: str
    items: tuple[ItemMeta, ...]


@dataclass(frozen=True)
class VisitMeta:
    name: str
    day: int
    window_days: int
    forms: tuple[str, ...]


@dataclass(frozen=True)
class StudyMeta:
    code: str
    title: str
    protocol_version: str
    arms: tuple[str, ...]
    visits: tuple[VisitMeta, ...]
    forms: tuple[FormMeta, ...]


@dataclass(frozen=True)
class SubjectRecord:
    code: str
    site: str
    sex: str | None
    year_of_birth: int | None
    status: str
    severity: str | None
    day0: dt.date | None
    randomised_at: dt.datetime | None
    arm: str | None = None  # only in an unblinded reader's data


@dataclass(frozen=True)
class ValueRecord:
    subject: str
    visit: str
    visit_date: dt.date | None
    form: str
    item: str
    number: float | None
    unit: str | None
    text: str | None

    @property
    def shown(self) -> str:
        """The value as written into a file: a number in full precision, or its text."""
        if self.number is not None:
            return repr(float(self.number))
        return self.text or ""


@dataclass(frozen=True)
class AdverseEventRecord:
    subject: str
    number: int
    term: str
    onset: dt.date
    end: dt.date | None
    grade: int | None
    serious: bool
    related: bool
    outcome: str | None


@dataclass(frozen=True)
class InfusionRecord:
    subject: str
    number: int
    started_at: dt.datetime
    stopped_at: dt.datetime | None
    # Only in an unblinded reader's data: these tell placebo from cells.
    product_kind: str | None = None
    lots: tuple[str, ...] = ()
    volume_ml: float | None = None


@dataclass(frozen=True)
class TrialData:
    study: StudyMeta
    blinded: bool
    exported_by: str
    exported_at: dt.datetime
    subjects: tuple[SubjectRecord, ...] = ()
    values: tuple[ValueRecord, ...] = ()
    adverse_events: tuple[AdverseEventRecord, ...] = ()
    infusions: tuple[InfusionRecord, ...] = ()
    metadata_only: bool = False


@dataclass(frozen=True)
class Progress:
    """How far a running export is: what it is doing, the rows so far and, once known, of how
    many (``total``), and the files finished of how many."""

    stage: str  # "reading", "checking" or "writing"
    rows: int
    total: int | None = None
    files: int = 0
    of_files: int | None = None

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return min(100, round(100 * self.rows / self.total))


def oid(prefix: str, *parts: str) -> str:
    """An ODM OID from names: ``oid("SE", "Day 0")`` → ``SE.DAY0``."""
    cleaned = [re.sub(r"[^A-Za-z0-9_]+", "", p).upper() for p in parts]
    if not all(cleaned):
        raise InvalidInput(f"oid: {parts!r} has no letter or digit to name it by", field="oid")
    return ".".join([prefix, *cleaned])
