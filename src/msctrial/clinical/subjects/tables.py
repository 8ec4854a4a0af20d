"""Subject tables: the subject, screening assessments, screen failures, consent, study exit.

Every table is ``Audited`` (each insert and update is on the hash-chained trail) and carries
``site_id``, which puts its entries on that site's trail and is what site isolation filters on.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from msctrial.core.db import Base, UTCDateTime, utcnow
from msctrial.core.errors import RuleViolation
from msctrial.core.tables import Audited, Voidable


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
    # Empty until the patient has consented and is screened: the pre-screening log holds none.
    year_of_birth: Mapped[int | None] = mapped_column(default=None)
    sex: Mapped[str | None] = mapped_column(String(8), default=None)
    weight_kg: Mapped[float | None] = mapped_column(default=None)
    # The day the patient entered the site's screening log (site calendar).
    prescreened_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    # model.SubjectStatus
    status: Mapped[str] = mapped_column(String(20), default="screening")
    # Severity of the latest screening: a stratification factor of the reference protocol.
    severity: Mapped[str | None] = mapped_column(String(24), default=None)
    eligible: Mapped[bool | None] = mapped_column(default=None)
    # Study day 0 (the protocol's day-0 event, usually randomisation), in the site's calendar.
    day0_date: Mapped[dt.date | None] = mapped_column(Date, default=None)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def dosing_weight_kg(self) -> float:
        """The screening weight every dose is computed from; refused before screening."""
        if self.weight_kg is None:
            raise RuleViolation(
                f"weight_kg: {self.subject_code} has no screening weight yet; screen the "
                "subject first",
                field="weight_kg",
            )
        return self.weight_kg


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


class StudyExit(Audited, Base):
    """How and when a subject left the trial: died, withdrew, lost to follow-up, completed.

    After the exit date no further visit is expected (``visits.VisitState.not_expected``).
    """

    __tablename__ = "study_exit"
    # Created by the clinical_visits branch of the migrations, which later changes extend.
    __migration_branch__ = "clinical_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    kind: Mapped[str] = mapped_column(String(24))
    exit_date: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
