"""Public schemas of the product package: what services return to the web, the CLI and clinical.

Blinding is in the shape of the data: ``IssueRecord`` (what a blinded user may see of a unit
given to a subject) has no lot, kind, cell count or volume field at all; ``IssuedUnit`` and
``IssueRecordUnblinded`` carry them and are only built for unblinded roles.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict


class Public(BaseModel):
    model_config = ConfigDict(frozen=True)


class UnitPublic(Public):
    """A unit in stock, as the pharmacy sees it (unblinded)."""

    code: str
    lot_code: str
    kind: str
    cells: float | None
    volume_ml: float
    expires_on: dt.date
    max_hold_h: float


class IssuedUnit(Public):
    """A unit just issued for a subject's administration (returned to the pharmacist)."""

    unit_code: str
    lot_code: str
    kind: str
    cells_per_unit: float | None
    volume_ml: float
    max_hold_h: float
    expires_on: dt.date
    subject_code: str
    site_id: int
    administration_no: int
    issued_at: dt.datetime
    issued_by: str


class IssueRecord(Public):
    """A unit given to a subject, as a blinded user may see it: nothing that tells the arm."""

    unit_code: str
    subject_code: str
    site_id: int
    administration_no: int
    issued_at: dt.datetime
    issued_by: str
    thawed_at: dt.datetime | None
    used_at: dt.datetime | None
    used_by: str | None
    voided: bool
    void_reason: str | None


class IssueRecordUnblinded(IssueRecord):
    lot_code: str
    kind: str
    cells_per_unit: float | None
    volume_ml: float
    max_hold_h: float


class SpecificationPublic(Public):
    name: str
    version: str
    kind: str
    title: str
    tests: int
    created_by: str
    created_at: dt.datetime
    sha256: str


class LotSummary(Public):
    code: str
    product: str
    product_name: str
    kind: str
    process_version: str
    status: str
    expires_on: dt.date
    expired: bool
    units: int
    available_units: int
    storage_location: str


class UnitLine(Public):
    code: str
    cells: float | None
    volume_ml: float
    state: str  # in stock, issued, used, discarded


class TestLine(Public):
    """One test of an inspection: its specification, the current result and the verdict."""

    __test__ = False

    code: str
    name: str
    category: str
    method: str
    criterion: str
    level: str
    source: str
    result: str | None
    judged: str | None
    in_spec: bool | None
    reason: str
    tested_on: dt.date | None
    entered_by: str | None


class InspectionPublic(Public):
    level: str
    lot_code: str
    specification: str
    passed: bool
    missing: list[str]
    tests: list[TestLine]


class BlockerPublic(Public):
    code: str
    message: str
    test: str | None


class DecisionPublic(Public):
    lot: str
    releasable: bool
    blockers: list[BlockerPublic]


class SignaturePublic(Public):
    action: str
    meaning: str
    reason: str | None
    signed_by: str
    signer_name: str
    signed_at: dt.datetime


class LotDetail(Public):
    summary: LotSummary
    specification: str
    tissue_source: str | None
    donor_type: str | None
    donor_code: str | None
    passage: int | None
    manufactured_on: dt.date
    cryopreserved_on: dt.date | None
    max_hold_h: float
    created_by: str
    created_at: dt.datetime
    units: list[UnitLine]
    release: InspectionPublic
    quality: list[InspectionPublic]
    decision: DecisionPublic
    signatures: list[SignaturePublic]


class Recipient(Public):
    dispensation: str
    subject_code: str | None  # None for a blinded tracer (QC): see product.trace
    site_code: str
    administration_no: int
    unit_code: str
    issued_at: dt.datetime
    issued_by: str
    used_at: dt.datetime | None


class LotTrace(Public):
    lot: LotSummary
    recipients: list[Recipient]


class ReceivedUnit(Public):
    unit_code: str
    lot_code: str
    administration_no: int
    issued_at: dt.datetime
    used_at: dt.datetime | None


class LotResults(Public):
    lot: LotSummary
    release: InspectionPublic
    quality_passed: bool


class SubjectTrace(Public):
    subject_code: str
    units: list[ReceivedUnit]
    lots: list[LotResults]


class FollowUpPublic(Public):
    id: int
    lot_code: str
    subject_code: str | None  # None for a blinded reader (QC): see product.trace
    site_code: str
    created_at: dt.datetime
    closed_at: dt.datetime | None
    closed_by: str | None
    note: str


class LabelPublic(Public):
    unit_code: str
    trial: str
    qr_svg: str
