"""The e-signed decisions on a lot: release, reject, recall (21 CFR 11.50 and 11.200).

A decision is signed by a named QC user who types the password again; release is refused
while anything blocks it (``views.decide``: both inspection levels, shelf life). Each signature
is stored with its meaning and moves the lot's status through the audit trail.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from msctrial.core import audit
from msctrial.core.actors import Actor
from msctrial.core.errors import Conflict, PermissionDenied, RuleViolation
from msctrial.core.users import reauthenticate
from msctrial.product import views
from msctrial.product.model import LotStatus, ReleaseDecision, can_move
from msctrial.product.schemas import DecisionPublic, LotDetail
from msctrial.product.spec_store import QC, require_lot_reader
from msctrial.product.tables import Lot, LotSignature
from msctrial.product.trace import open_follow_ups
from msctrial.product.views import get_lot

MEANINGS = {
    "release": "Released for clinical use: the quality and release inspections passed and "
    "the lot is within its shelf life.",
    "reject": "Rejected: the lot must not be used.",
    "recall": "Recalled: the lot is withdrawn and its recipients are to be followed up.",
}


def decision_for(
    session: Session, actor: Actor, lot_code: str, *, now: dt.datetime
) -> DecisionPublic:
    """Whether the lot may be released now, and every blocker if not (without signing)."""
    require_lot_reader(actor)
    return views.decision_public(views.decide(session, get_lot(session, lot_code), now))


def _sign(session: Session, actor: Actor, password: str, action: str) -> None:
    """The e-signature: a named QC user, password typed again (21 CFR 11.200)."""
    actor.require(QC, to=f"{action} lots")
    if actor.user_id is None:
        raise PermissionDenied(
            f"a {action} is signed by a named QC user; the operator account cannot sign",
            field="user",
        )
    reauthenticate(session, actor, password)


@dataclass(frozen=True)
class SignedDecision:
    lot: LotDetail
    follow_ups: int = 0


def _move(
    session: Session,
    actor: Actor,
    lot: Lot,
    target: LotStatus,
    *,
    reason: str | None,
    now: dt.datetime,
    meaning: str | None = None,
) -> None:
    current = LotStatus(lot.status)
    if not can_move(current, target):
        raise Conflict(
            f"lot {lot.code} is {current.value}; it cannot become {target.value}", field="lot"
        )
    action = {"released": "release", "rejected": "reject", "recalled": "recall"}[target.value]
    audit.attach(session, actor)
    with audit.because(session, reason or MEANINGS[action], action=action):
        lot.status = target.value
        session.add(
            LotSignature(
                lot_id=lot.id,
                action=action,
                meaning=meaning or MEANINGS[action],
                reason=reason,
                signed_by=actor.audit_name,
                signer_name=actor.full_name,
                signed_at=now,
            )
        )


def release_lot(
    session: Session, actor: Actor, lot_code: str, *, password: str, now: dt.datetime
) -> SignedDecision:
    """Release a lot, e-signed, when nothing blocks it; otherwise refuse with every reason."""
    _sign(session, actor, password, "release")
    lot = get_lot(session, lot_code)
    decision: ReleaseDecision = views.decide(session, lot, now)
    if not decision.releasable:
        raise RuleViolation(
            f"lot {lot.code} cannot be released: " + "; ".join(decision.reasons),
            field="lot",
            reasons=decision.reasons,
        )
    _move(session, actor, lot, LotStatus.released, reason=None, now=now)
    session.commit()
    return SignedDecision(views.lot_detail(session, lot, now))


def reject_lot(
    session: Session, actor: Actor, lot_code: str, *, password: str, reason: str, now: dt.datetime
) -> SignedDecision:
    """Reject a lot in quarantine, e-signed, with a reason."""
    reason = audit.require_reason(reason, "reject a lot")
    _sign(session, actor, password, "reject")
    lot = get_lot(session, lot_code)
    _move(session, actor, lot, LotStatus.rejected, reason=reason, now=now)
    session.commit()
    return SignedDecision(views.lot_detail(session, lot, now))


def recall_lot(
    session: Session, actor: Actor, lot_code: str, *, password: str, reason: str, now: dt.datetime
) -> SignedDecision:
    """Recall a released lot, e-signed: every recipient gets a follow-up record."""
    reason = audit.require_reason(reason, "recall a lot")
    _sign(session, actor, password, "recall")
    lot = get_lot(session, lot_code)
    _move(session, actor, lot, LotStatus.recalled, reason=reason, now=now)
    count = open_follow_ups(session, actor, lot, now=now)
    session.commit()
    return SignedDecision(views.lot_detail(session, lot, now), count)
