"""Lots: the lot sheet, shelf life, the status machine and the release decision (pure rules).

A lot of a cell product (or of its placebo) waits in quarantine until a QC user releases it,
and may be released only when (DOMAIN §3, CLINICAL_FACTS §5.3):
- the comprehensive quality inspection of its product and manufacturing process version passed,
- its own release inspection passed, with no result missing and none out of specification,
- it is within its shelf life.
``release_decision`` gives every reason that blocks a release, not just the first, so QC sees
all the work left in one look. No database, no clock: today's date is passed in.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Self

from pydantic import Field, ValidationError, model_validator

from msctrial.core.errors import InvalidInput
from msctrial.core.validation import explain, parse_yaml
from msctrial.product.specification import (
    Level,
    LotKind,
    ResultInput,
    Specification,
    Strict,
    Verdict,
    evaluate,
)
from msctrial.protocol.model import Donor, TissueSource


class LotStatus(StrEnum):
    quarantine = "quarantine"
    released = "released"
    rejected = "rejected"
    recalled = "recalled"


# The only moves a lot can make; anything else is refused (issue 3).
TRANSITIONS: dict[LotStatus, frozenset[LotStatus]] = {
    LotStatus.quarantine: frozenset({LotStatus.released, LotStatus.rejected}),
    LotStatus.released: frozenset({LotStatus.recalled}),
    LotStatus.rejected: frozenset(),
    LotStatus.recalled: frozenset(),
}


def can_move(current: LotStatus, target: LotStatus) -> bool:
    return target in TRANSITIONS[current]


# Cultured MSCs are used at low passage (typically P3-P5); a passage above 20 is almost surely an
# entry error (engineering bound, D).
MAX_PASSAGE = 20
MAX_UNITS_PER_LOT = 2000
# CLINICAL_FACTS §5.2 dose examples reach 1×10^8 cells per administration; a single bag of more
# than 10^10 cells is an entry error (a missing ×10^6).
MAX_CELLS_PER_UNIT = 1e10
MAX_UNIT_VOLUME_ML = 1000.0


class ProductSheet(Strict):
    """The product a lot belongs to: registered with its first lot, checked on later ones."""

    code: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,39}$")
    name: str = Field(min_length=1, max_length=200)
    kind: LotKind
    tissue_source: TissueSource | None = None
    donor_type: Donor | None = None
    shelf_life_days: int | None = Field(default=None, ge=1, le=3650)
    # CLINICAL_FACTS §5.4: a product-specific hold time from thaw to end of infusion, from the
    # IB/IMPD; when absent, the deployment's MSCTRIAL_POST_THAW_WINDOW_H (default 4 h).
    max_hold_h: float | None = Field(default=None, gt=0, le=72)

    @model_validator(mode="after")
    def _cells_have_a_source(self) -> Self:
        if self.kind is LotKind.cells and (self.tissue_source is None or self.donor_type is None):
            raise ValueError("a cell product needs tissue_source and donor_type")
        if self.kind is LotKind.placebo and (self.tissue_source or self.donor_type):
            raise ValueError("a placebo has no tissue_source or donor_type")
        return self


class UnitsSheet(Strict):
    count: int = Field(ge=1, le=MAX_UNITS_PER_LOT)
    cells_per_unit: float | None = Field(default=None, gt=0, le=MAX_CELLS_PER_UNIT)
    volume_ml: float = Field(gt=0, le=MAX_UNIT_VOLUME_ML)


class LotSheet(Strict):
    """A lot as manufacturing hands it to QC (examples/lots/*.yaml)."""

    lot: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,39}$")
    product: ProductSheet
    specification: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{1,59}@[^@\s]{1,20}$")
    process_version: str = Field(min_length=1, max_length=20)
    donor_code: str | None = Field(default=None, max_length=40)
    passage: int | None = Field(default=None, ge=0, le=MAX_PASSAGE)
    manufactured_on: dt.date
    cryopreserved_on: dt.date | None = None
    expires_on: dt.date | None = None
    storage_location: str = Field(min_length=1, max_length=200)
    units: UnitsSheet

    @model_validator(mode="before")
    @classmethod
    def _texts(cls, data: object) -> object:
        if isinstance(data, dict) and isinstance(data.get("process_version"), int | float):
            data = {**data, "process_version": str(data["process_version"])}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        cells = self.product.kind is LotKind.cells
        if cells and self.units.cells_per_unit is None:
            raise ValueError("units.cells_per_unit: a cell lot needs the cells in each unit")
        if not cells and self.units.cells_per_unit is not None:
            raise ValueError("units.cells_per_unit: a placebo unit contains no cells")
        if cells and (self.donor_code is None or self.passage is None):
            raise ValueError("a cell lot needs donor_code and passage")
        if self.cryopreserved_on and self.cryopreserved_on < self.manufactured_on:
            raise ValueError("cryopreserved_on: must not be before manufactured_on")
        start = self.cryopreserved_on or self.manufactured_on
        if self.expires_on is not None and self.expires_on <= start:
            raise ValueError("expires_on: must be after the manufacture/cryopreservation date")
        if self.expires_on is None and self.product.shelf_life_days is None:
            raise ValueError("expires_on: give expires_on, or product.shelf_life_days")
        return self

    @property
    def spec_name(self) -> str:
        return self.specification.split("@", 1)[0]

    @property
    def spec_version(self) -> str:
        return self.specification.split("@", 1)[1]


def load_lot_sheet_text(text: str, what: str = "lot sheet") -> LotSheet:
    data = parse_yaml(text, what)
    if not isinstance(data, dict):
        raise InvalidInput(f"{what}: expected a mapping of lot fields, got {type(data).__name__}")
    try:
        return LotSheet.model_validate(data)
    except ValidationError as exc:
        raise explain(exc, LotSheet) from None


def expiry_date(sheet: LotSheet) -> dt.date:
    """The stated expiry, else shelf life counted from cryopreservation (or manufacture).

    A stated date later than the product's shelf life allows is refused: the shelf life comes
    from the product's stability data and a lot cannot outlive it.
    """
    start = sheet.cryopreserved_on or sheet.manufactured_on
    limit = (
        start + dt.timedelta(days=sheet.product.shelf_life_days)
        if sheet.product.shelf_life_days
        else None
    )
    if sheet.expires_on is not None:
        if limit is not None and sheet.expires_on > limit:
            raise InvalidInput(
                f"expires_on: {sheet.expires_on} is beyond the product's shelf life of "
                f"{sheet.product.shelf_life_days} days from {start} ({limit})",
                field="expires_on",
            )
        return sheet.expires_on
    assert limit is not None
    return limit


def within_shelf_life(expires_on: dt.date, today: dt.date) -> bool:
    """A lot may be used up to and including its expiry date."""
    return today <= expires_on


def unit_code(random_bytes: bytes) -> str:
    """An opaque unit id, 'U-' and 12 base32 characters (60 random bits).

    It must not reveal the lot or the product, so it is random rather than derived from the
    lot number; the caller passes the randomness (``secrets.token_bytes(8)``).
    """
    if len(random_bytes) < 8:
        raise ValueError("a unit code needs at least 8 random bytes")
    return "U-" + base64.b32encode(random_bytes).decode()[:12]


# --- inspections and the release decision -----------------------------------------------


@dataclass(frozen=True)
class InspectionOutcome:
    """A quality or release inspection judged against its specification."""

    level: Level
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    missing: tuple[str, ...] = ()

    @property
    def out_of_spec(self) -> list[Verdict]:
        return [v for v in self.verdicts.values() if not v.in_spec]

    @property
    def passed(self) -> bool:
        return not self.missing and not self.out_of_spec


def judge_inspection(
    spec: Specification,
    level: Level,
    results: Mapping[str, ResultInput],
    *,
    volume_per_kg_ml: float | None = None,
) -> InspectionOutcome:
    """Judge every test of ``level``; a test with no result is listed as missing."""
    verdicts: dict[str, Verdict] = {}
    missing: list[str] = []
    for test in spec.tests_for(level):
        result = results.get(test.code)
        if result is None:
            missing.append(test.code)
        else:
            verdicts[test.code] = evaluate(test, result, volume_per_kg_ml=volume_per_kg_ml)
    return InspectionOutcome(level, verdicts, tuple(missing))


@dataclass(frozen=True)
class Blocker:
    """One reason a lot cannot be released; ``code`` is stable for programs, ``message`` for QC."""

    code: str
    message: str
    test: str | None = None


@dataclass(frozen=True)
class ReleaseDecision:
    lot: str
    blockers: tuple[Blocker, ...]

    @property
    def releasable(self) -> bool:
        return not self.blockers

    @property
    def reasons(self) -> list[str]:
        return [b.message for b in self.blockers]


@dataclass(frozen=True)
class LotFacts:
    code: str
    status: LotStatus
    expires_on: dt.date
    product: str
    process_version: str
    units: int


def release_decision(
    lot: LotFacts,
    spec: Specification,
    release: InspectionOutcome,
    quality: Iterable[InspectionOutcome],
    today: dt.date,
) -> ReleaseDecision:
    """Whether ``lot`` may be released today, with every reason that blocks it."""
    blockers: list[Blocker] = []
    if lot.status is not LotStatus.quarantine:
        blockers.append(
            Blocker(
                "status",
                f"lot {lot.code} is {lot.status.value}; only a lot in quarantine can be released",
            )
        )
    if not within_shelf_life(lot.expires_on, today):
        blockers.append(Blocker("expired", f"lot {lot.code} expired on {lot.expires_on}"))
    if lot.units == 0:
        blockers.append(Blocker("no_units", f"lot {lot.code} has no units to release"))
    if not any(q.passed for q in quality):
        blockers.append(
            Blocker(
                "no_quality_inspection",
                f"no passed quality inspection of {lot.product} process version "
                f"{lot.process_version}",
            )
        )
    for code in release.missing:
        name = spec.test(code).name
        blockers.append(
            Blocker("missing_result", f"release inspection: no result for {code} ({name})", code)
        )
    for verdict in release.out_of_spec:
        blockers.append(
            Blocker(
                "out_of_spec",
                f"release inspection: {verdict.test} out of specification: {verdict.reason}",
                verdict.test,
            )
        )
    return ReleaseDecision(lot.code, tuple(blockers))
