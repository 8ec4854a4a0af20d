"""The read side of the allocation: a subject's arm, for those who may know it.

``arm_visible`` is the one rule of who sees arms (unblinded roles, or everyone in an
open-label trial); ``allocation_view`` applies it to a subject's randomisation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from msctrial.clinical.randomisation.tables import (
    Allocation,
)
from msctrial.clinical.subjects.access import (
    protocol_for,
)
from msctrial.clinical.subjects.tables import Subject
from msctrial.core.actors import Actor
from msctrial.core.errors import NotFound
from msctrial.protocol.model import Arm, Protocol


@dataclass(frozen=True)
class AllocationView:
    """What an actor may know of a subject's randomisation."""

    randomisation_no: str
    allocated_at: dt.datetime
    allocated_by: str
    arm: str | None  # None for a blinded actor: the field is absent from public schemas


def arm_visible(actor: Actor, protocol: Protocol) -> bool:
    """Unblinded roles see arms; everyone does in an open-label or single-masked trial."""
    return not (protocol.is_blinded and actor.is_blinded)


def arm_named(protocol: Protocol, name: str) -> Arm:
    for arm in protocol.arms:
        if arm.name == name:
            return arm
    raise NotFound(f"arm: the protocol has no arm {name!r}", field="arm")


def _view(allocation: Allocation, actor: Actor, protocol: Protocol) -> AllocationView:
    return AllocationView(
        randomisation_no=allocation.randomisation_no,
        allocated_at=allocation.allocated_at,
        allocated_by=allocation.allocated_by,
        arm=allocation.arm if arm_visible(actor, protocol) else None,
    )


def allocation_of(session: Session, subject: Subject) -> Allocation | None:
    return session.scalar(select(Allocation).where(Allocation.subject_id == subject.id))


def allocation_view(session: Session, actor: Actor, subject: Subject) -> AllocationView | None:
    """The subject's randomisation as ``actor`` may see it (the subject is already visible)."""
    allocation = allocation_of(session, subject)
    if allocation is None:
        return None
    return _view(allocation, actor, protocol_for(session, subject).protocol)
