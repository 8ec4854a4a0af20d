"""Public schemas of the allocation, unblindings and the list's fill (never a block or arm
for a blinded reader: the ``...Unblinded`` types add the arm and are built only for the
unblinded).
"""

from __future__ import annotations

import datetime as dt

from msctrial.clinical.subjects.schemas import Public


class AllocationPublic(Public):
    subject_code: str
    status: str = "randomised"
    randomisation_no: str
    allocated_at: dt.datetime
    allocated_by: str


class AllocationUnblinded(AllocationPublic):
    arm: str


class UnblindingPublic(Public):
    """That the blind was broken for a subject: who, when, why. Never the arm."""

    subject_code: str
    site_code: str
    unblinded_by: str
    unblinded_at: dt.datetime
    reason: str


class UnblindingResult(Public):
    """Returned to the investigator who broke the blind, and to nobody else."""

    subject_code: str
    arm: str
    product: str
    unblinded_by: str
    unblinded_at: dt.datetime
    reason: str


class StratumPublic(Public):
    """A stratum of the list: how many slots it has and how many are used. No arms."""

    stratum: str
    slots: int
    used: int


class RandomisationListPublic(Public):
    trial: str
    algorithm: str
    factors: list[str]
    ratio: str  # e.g. "1:1", in the protocol's arm order (arm names are on the protocol page)
    per_stratum: int
    created_by: str
    created_at: dt.datetime
    strata: list[StratumPublic]
