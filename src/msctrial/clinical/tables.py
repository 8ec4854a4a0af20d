"""Clinical tables, part 1: subjects, screening, consent, randomisation, dosing and infusions.

Every table is ``Audited`` (each insert and update is on the hash-chained trail) and carries
``site_id``, which puts its entries on that site's trail and is what site isolation filters on.
Columns that would reveal the allocation (arm, product kind, lot, cells given) are flagged
``info={"blinded": True}``: the trail seals their values and only unblinded roles read them.
Visits, forms, queries and adverse events live in ``visit_tables.py`` (branch clinical_visits).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from msctrial.core.db import Base, UTCDateTime, utcnow
from msctrial.core.tables import Audited, Voidable

BLINDED = {"blinded": True}


class Subject(Audited, Voidable, Base):
    """A screened patient, known to the trial only by a pseudonymised code (e.g. WUH-001)."""

    __tablename__ = "subject"
    __table_args__ = (
        UniqueConstraint("trial_id", "subject_code", name="uq_subject_code"),
        UniqueConstraint("trial_id", "site_id", "sequence", name="uq_subject_site_sequence"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trial.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    sequence: Mapped[int] = mapped_column()
    subject_code: Mapped[str] = mapped_column(String(24))
    year_of_birth: Mapped[int] = mapped_column()
    sex: Mapped[str] = mapped_column(String(8))
    weight_kg: Mapped[float] = mapped_column()
    # model.SubjectStatus
    status: Mapped[str] = mapped_column(String(20), default="screening")
    # Severity of the latest screening: a stratification factor of the reference protocol.
    severity: Mapped[str | None] = mapped_column(String(24), default=None)
    eligible: Mapped[bool | None] = mapped_column(default=None)
    # Study day 0 (the protocol's day-0 event, usually randomisation), in the site's calendar.
    day0_date: Mapped[dt.date | None] = mapped_column(Date, default=None)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Screening(Audited, Base):
    """One screening assessment: the observations, the classification and the eligibility."""

    __tablename__ = "screening"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    observed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    observations: Mapped[dict[str, Any]] = mapped_column(JSON)
    severity: Mapped[str] = mapped_column(String(24))
    pf_ratio: Mapped[float | None] = mapped_column(default=None)
    pf_ratio_corrected: Mapped[float | None] = mapped_column(default=None)
    ards_berlin: Mapped[str | None] = mapped_column(String(16), default=None)
    who_scale: Mapped[int | None] = mapped_column(default=None)
    reasons: Mapped[list[Any]] = mapped_column(JSON)
    # How "moderate, progressing" was decided: lesion_progression or clinician (eligibility.py).
    progressing_basis: Mapped[str | None] = mapped_column(String(24), default=None)
    eligible: Mapped[bool] = mapped_column()
    criteria: Mapped[list[Any]] = mapped_column(JSON)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ScreenFailure(Audited, Base):
    """Why a screened patient was not enrolled (for the CONSORT flow and the screening log)."""

    __tablename__ = "screen_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    reason: Mapped[str] = mapped_column(Text)
    unmet_criteria: Mapped[list[Any]] = mapped_column(JSON)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Consent(Audited, Voidable, Base):
    """Informed consent: which form version, when, who took it, who signed."""

    __tablename__ = "consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    form_version: Mapped[str] = mapped_column(String(40))
    consented_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    taken_by: Mapped[str] = mapped_column(String(200))
    # model.ConsentSigner
    signer: Mapped[str] = mapped_column(String(24))
    representative_name: Mapped[str | None] = mapped_column(String(200), default=None)
    representative_relationship: Mapped[str | None] = mapped_column(String(100), default=None)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RandomisationList(Audited, Base):
    """A trial's concealed allocation list; only the SHA-256 of its seed is kept."""

    __tablename__ = "randomisation_list"

    id: Mapped[int] = mapped_column(primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trial.id"), unique=True)
    seed_sha256: Mapped[str] = mapped_column(String(64), info={"secret": True})
    algorithm: Mapped[str] = mapped_column(String(64))
    factors: Mapped[list[Any]] = mapped_column(JSON)
    ratio: Mapped[dict[str, Any]] = mapped_column(JSON)
    block_sizes: Mapped[list[Any]] = mapped_column(JSON)
    per_stratum: Mapped[int] = mapped_column()
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RandomisationSlot(Audited, Base):
    """One line of the list: concealed until a subject takes it, then used exactly once."""

    __tablename__ = "randomisation_slot"
    __table_args__ = (
        UniqueConstraint("list_id", "stratum", "position", name="uq_slot_position"),
        Index("ix_randomisation_slot_free", "list_id", "stratum", "used_at", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("randomisation_list.id"))
    stratum: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column()
    block_no: Mapped[int] = mapped_column()
    block_size: Mapped[int] = mapped_column(info=BLINDED)
    randomisation_no: Mapped[str] = mapped_column(String(32), unique=True)
    arm: Mapped[str] = mapped_column(String(200), info=BLINDED)
    subject_id: Mapped[int | None] = mapped_column(
        ForeignKey("subject.id"), unique=True, default=None
    )
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)


class Allocation(Audited, Base):
    """A subject's randomisation: number and stratum for everyone, the arm for the unblinded."""

    __tablename__ = "allocation"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), unique=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("randomisation_slot.id"), unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    randomisation_no: Mapped[str] = mapped_column(String(32))
    stratum: Mapped[str] = mapped_column(String(200))
    arm: Mapped[str] = mapped_column(String(200), info=BLINDED)
    allocated_by: Mapped[str] = mapped_column(String(100))
    allocated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EmergencyUnblinding(Audited, Base):
    """An investigator broke the blind for one subject; monitors see that (not the arm)."""

    __tablename__ = "emergency_unblinding"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    reason: Mapped[str] = mapped_column(Text)
    unblinded_by: Mapped[str] = mapped_column(String(100))
    unblinded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PlannedAdministration(Audited, Voidable, Base):
    """One administration of the schedule (study day ± window), or one added by an override."""

    __tablename__ = "planned_administration"
    __table_args__ = (UniqueConstraint("subject_id", "number", name="uq_administration_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    number: Mapped[int] = mapped_column()
    study_day: Mapped[int] = mapped_column()
    window_days: Mapped[int] = mapped_column(default=0)
    optional: Mapped[bool] = mapped_column(default=False)
    unscheduled: Mapped[bool] = mapped_column(default=False)
    # The protocol's cell dose for this subject, shown the same way in every arm (blinding).
    dose_text: Mapped[str] = mapped_column(String(64))
    nominal_cells: Mapped[float | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Dispensation(Audited, Voidable, Base):
    """The pharmacist's preparation of one administration: units issued, thaw time."""

    __tablename__ = "dispensation"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    administration_id: Mapped[int] = mapped_column(
        ForeignKey("planned_administration.id"), index=True
    )
    unit_codes: Mapped[list[Any]] = mapped_column(JSON)
    product_kind: Mapped[str] = mapped_column(String(24), info=BLINDED)
    lot_codes: Mapped[list[Any]] = mapped_column(JSON, info=BLINDED)
    # Zero for placebo, never null: a null would leave the field out of the audit entry and
    # so tell a blinded reader of the trail which dispensations were placebo.
    cells_total: Mapped[float] = mapped_column(info=BLINDED)
    # Product volume and hold time differ between cells and placebo: sealed as well.
    volume_ml: Mapped[float] = mapped_column(info=BLINDED)
    thawed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    max_hold_h: Mapped[float] = mapped_column(info=BLINDED)
    dispensed_by: Mapped[str] = mapped_column(String(100))
    dispensed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Infusion(Audited, Voidable, Base):
    """What happened at the bedside: the scanned units, times, volume, vitals and reactions."""

    __tablename__ = "infusion"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    administration_id: Mapped[int] = mapped_column(
        ForeignKey("planned_administration.id"), index=True
    )
    dispensation_id: Mapped[int] = mapped_column(ForeignKey("dispensation.id"))
    scanned_unit_codes: Mapped[list[Any]] = mapped_column(JSON)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    stopped_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    volume_ml: Mapped[float] = mapped_column()
    vitals_before: Mapped[dict[str, Any]] = mapped_column(JSON)
    vitals_after: Mapped[dict[str, Any]] = mapped_column(JSON)
    premedication: Mapped[str | None] = mapped_column(Text, default=None)
    reactions: Mapped[list[Any]] = mapped_column(JSON)
    reaction_notes: Mapped[str | None] = mapped_column(Text, default=None)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ProtocolDeviation(Audited, Voidable, Base):
    """A schedule rule overridden by an investigator with a reason (kind: model.DeviationKind)."""

    __tablename__ = "protocol_deviation"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    administration_id: Mapped[int | None] = mapped_column(
        ForeignKey("planned_administration.id"), default=None
    )
    kind: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    approved_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
