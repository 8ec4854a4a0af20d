"""The CONSORT flow of the trial: assessed, excluded (with reasons), randomised, allocated,
infused, discontinued, analysed (CONSORT 2010, Schulz et al., BMJ 2010;340:c332, item 13 and
its flow diagram).

Counts per arm only for a reader the casebook gives arms to (the DSMB); a blinded reader gets
the same boxes pooled after randomisation. ``count_flow`` is pure; ``consort_flow`` reads it
from the platform through the same services as the rest of the analysis.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from msctrial.clinical.casebook.record import subject_list
from msctrial.clinical.dosing.tables import Infusion
from msctrial.clinical.subjects.access import list_subjects
from msctrial.clinical.subjects.exit import exit_dates
from msctrial.clinical.subjects.tables import ScreenFailure
from msctrial.core.actors import Actor

POOLED = "all randomised"
NOT_ELIGIBLE = "did not meet the eligibility criteria"


@dataclass(frozen=True)
class FlowSubject:
    """What the flow needs of one subject; ``arm`` is None for a blinded reader."""

    status: str
    randomised: bool
    failure_reason: str | None = None
    failed_criteria: bool = False
    infused: bool = False
    exit_kind: str | None = None
    arm: str | None = None


@dataclass(frozen=True)
class ArmFlow:
    arm: str
    allocated: int
    infused: int
    not_infused: int
    died: int
    discontinued: dict[str, int]
    analysed: int


@dataclass(frozen=True)
class Consort:
    assessed: int
    excluded: dict[str, int]
    still_screening: int
    randomised: int
    arms: list[ArmFlow] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


def _reason(s: FlowSubject) -> str:
    if s.failed_criteria:
        return NOT_ELIGIBLE
    text = (s.failure_reason or "no reason recorded").strip()
    return text if len(text) <= 60 else text[:57] + "..."


def count_flow(subjects: list[FlowSubject]) -> Consort:
    """The boxes of the flow diagram. Every randomised subject is analysed (intention to treat:
    the platform's analyses keep each subject in the arm allocated)."""
    failures = [s for s in subjects if s.status == "screen_failure"]
    randomised = [s for s in subjects if s.randomised]
    groups: dict[str, list[FlowSubject]] = {}
    for s in randomised:
        groups.setdefault(s.arm or POOLED, []).append(s)
    arms = []
    for arm, rows in sorted(groups.items()):
        stops = Counter(
            s.exit_kind for s in rows if s.exit_kind in ("withdrawn", "lost_to_follow_up")
        )
        infused = sum(s.infused for s in rows)
        arms.append(
            ArmFlow(
                arm=arm,
                allocated=len(rows),
                infused=infused,
                not_infused=len(rows) - infused,
                died=sum(s.exit_kind == "died" for s in rows),
                discontinued={k.replace("_", " "): v for k, v in sorted(stops.items()) if k},
                analysed=len(rows),
            )
        )
    return Consort(
        assessed=len(subjects),
        excluded=dict(Counter(_reason(s) for s in failures).most_common()),
        still_screening=sum(s.status in ("prescreening", "screening") for s in subjects),
        randomised=len(randomised),
        arms=arms,
    )


def consort_flow(session: Session, actor: Actor, *, unblinded: bool = False) -> Consort:
    """The flow as the actor may see it; per arm only when ``unblinded`` and the casebook
    gives this reader arms."""
    rows = list_subjects(session, actor)
    arms: dict[str, str | None] = {}
    if unblinded:
        arms = {s.subject_code: getattr(s, "arm", None) for s in subject_list(session, actor)}
    ids = [r.id for r in rows]
    failures = {
        f.subject_id: f
        for f in session.scalars(select(ScreenFailure).where(ScreenFailure.subject_id.in_(ids)))
    }
    infused = set(
        session.scalars(
            select(Infusion.subject_id)
            .where(Infusion.subject_id.in_(ids), Infusion.voided_at.is_(None))
            .distinct()
        )
    )
    exits = exit_dates(session, ids)
    subjects = []
    for r in rows:
        failure = failures.get(r.id)
        exit_ = exits.get(r.id)
        subjects.append(
            FlowSubject(
                status=r.status,
                randomised=r.day0_date is not None,
                failure_reason=failure.reason if failure else None,
                failed_criteria=bool(failure and failure.unmet_criteria),
                infused=r.id in infused,
                exit_kind=exit_.kind if exit_ else None,
                arm=arms.get(r.subject_code),
            )
        )
    return count_flow(subjects)
