"""Printed documents of a lot: unit labels with a QR code, and the certificate of analysis."""

from __future__ import annotations

import datetime as dt
import io

import segno
from sqlalchemy import select
from sqlalchemy.orm import Session

from msctrial.core.actors import Actor
from msctrial.core.errors import Conflict
from msctrial.product import views
from msctrial.product.model import LotStatus
from msctrial.product.schemas import LabelPublic, LotDetail
from msctrial.product.service import get_lot
from msctrial.product.spec_store import require_lot_reader
from msctrial.product.tables import Unit


def _trial_code(session: Session) -> str:
    from msctrial.protocol.tables import Trial

    codes = list(session.scalars(select(Trial.code).order_by(Trial.id).limit(2)))
    return codes[0] if len(codes) == 1 else ""


def label_for(unit_code: str, trial: str) -> LabelPublic:
    """One unit's label: its opaque code as text and as a QR code, nothing else that differs.

    The format is the same for cells and placebo: no product, lot, cell count, volume or expiry
    is printed, so blinded staff at the bedside cannot tell the arm from the bag.
    """
    buffer = io.BytesIO()
    segno.make(unit_code, error="m").save(
        buffer, kind="svg", scale=3, xmldecl=False, nl=False, title=unit_code
    )
    return LabelPublic(unit_code=unit_code, trial=trial, qr_svg=buffer.getvalue().decode())


def labels(session: Session, actor: Actor, lot_code: str) -> list[LabelPublic]:
    """Printable labels of every unit of a lot (QC and the pharmacy print them)."""
    require_lot_reader(actor)
    lot = get_lot(session, lot_code)
    trial = _trial_code(session)
    codes = session.scalars(select(Unit.code).where(Unit.lot_id == lot.id).order_by(Unit.code))
    return [label_for(code, trial) for code in codes]


def certificate(session: Session, actor: Actor, lot_code: str, *, now: dt.datetime) -> LotDetail:
    """The certificate of analysis: only for a lot that has been released (even if recalled)."""
    require_lot_reader(actor)
    lot = get_lot(session, lot_code)
    if lot.status not in (LotStatus.released.value, LotStatus.recalled.value):
        raise Conflict(
            f"lot {lot.code} is {lot.status}; a certificate of analysis exists only for a "
            "released lot",
            field="lot",
        )
    return views.lot_detail(session, lot, now)
