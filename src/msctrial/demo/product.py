"""Demo step: the cell product and its placebo, lots in every state a QC laboratory sees.

- UC-MSC process 1.2: UCM-DEMO-001 (quality and release inspections passed, released),
  UCM-DEMO-002 (released), UCM-DEMO-003 (mycoplasma positive: rejected), UCM-DEMO-004
  (in quarantine, release results half entered).
- PLACEBO: PLA-DEMO-001 and PLA-DEMO-002, released.
Released lots are signed by the demo QC user. Dates count back from today so the demo lots
are always within their shelf life. Idempotent: a lot already present is left alone.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from msctrial.core.db import utcnow
from msctrial.core.settings import Settings
from msctrial.core.users import get_user, load_actor
from msctrial.demo import DemoContext
from msctrial.demo.spine import demo_password
from msctrial.product import service
from msctrial.product.spec_store import builtin_specification_text
from msctrial.product.specification import (
    QUALITATIVE,
    Level,
    ResultInput,
    Specification,
    load_specification_text,
)
from msctrial.product.tables import Lot

# Enough bags for the demo's patients: 2×10^6 cells/kg for ~70 kg is two 1×10^8 bags per
# administration, three administrations each (the reference protocol).
UNITS_PER_LOT = 80
CELLS = {
    "code": "UC-MSC",
    "name": "Umbilical cord MSCs, cryopreserved",
    "kind": "cells",
    "tissue_source": "umbilical_cord",
    "donor_type": "allogeneic",
    "shelf_life_days": 365,
    "max_hold_h": 4,
}
PLACEBO = {
    "code": "PLACEBO",
    "name": "Normal saline with 1% human albumin",
    "kind": "placebo",
    "shelf_life_days": 365,
    "max_hold_h": 4,  # the same window as the cells, so the bedside cannot tell them apart
}
# Mid-range results (the limits are in the specification); rng adds a little lot-to-lot spread.
TYPICAL = {
    "cd73": 98.5,
    "cd90": 98.0,
    "cd105": 97.0,
    "cd45": 0.6,
    "cd34": 0.4,
    "cd14_or_cd11b": 0.5,
    "cd79a_or_cd19": 0.3,
    "hla_dr": 0.7,
    "viability": 91.0,
    "cell_count": 1.0e8,
    "endotoxin": 0.2,
    "potency_t_cell": 42.0,
}


def _results(
    spec: Specification, level: Level, rng: random.Random, on: dt.date, **override: Any
) -> list[ResultInput]:
    out = []
    for t in spec.tests_for(level):
        if t.criterion.type in QUALITATIVE:
            outcome = override.get(
                t.code, "negative" if t.criterion.type.value == "negative" else "conforms"
            )
            out.append(ResultInput(test=t.code, outcome=outcome, tested_on=on))
            continue
        value = TYPICAL[t.code] * (1 + rng.uniform(-0.01, 0.01))
        unit = "EU/mL" if t.code == "endotoxin" else t.unit
        if spec.kind.value == "placebo" and t.code == "endotoxin":
            value = round(rng.uniform(0.05, 0.15), 2)
        out.append(
            ResultInput(
                test=t.code, value=round(value, 3 if value < 10 else 1), unit=unit, tested_on=on
            )
        )
    return out


def _sheet(code: str, product: dict[str, Any], made: dt.date, **more: Any) -> dict[str, Any]:
    cells = product["kind"] == "cells"
    sheet = {
        "lot": code,
        "product": product,
        "specification": "msc-default@1.0" if cells else "placebo-saline-albumin@1.0",
        "process_version": "1.2" if cells else "1.0",
        "manufactured_on": made,
        "cryopreserved_on": made + dt.timedelta(days=2) if cells else None,
        "storage_location": "LN2 tank 2, rack B" if cells else "LN2 tank 2, rack C",
        "units": {
            "count": UNITS_PER_LOT,
            "cells_per_unit": 1.0e8 if cells else None,
            "volume_ml": 50,
        },
    }
    if cells:
        sheet.update(donor_code=f"D-{code[-3:]}", passage=4)
    sheet.update(more)
    return sheet


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC)


def build(session: Session, settings: Settings, ctx: DemoContext) -> None:
    from msctrial.product.model import LotSheet

    now = utcnow()
    today = now.date()
    rng = random.Random(ctx.seed)
    qc = load_actor(session, get_user(session, "qc"))
    password = demo_password("qc")
    msc = load_specification_text(builtin_specification_text("msc-default"))
    placebo = load_specification_text(builtin_specification_text("placebo-saline-albumin"))
    plan = [
        # code, product, spec, days ago made, quality inspection?, release overrides, fate
        ("UCM-DEMO-001", CELLS, msc, 90, True, {}, "release"),
        ("UCM-DEMO-002", CELLS, msc, 60, False, {}, "release"),
        ("UCM-DEMO-003", CELLS, msc, 45, False, {"mycoplasma": "positive"}, "reject"),
        ("UCM-DEMO-004", CELLS, msc, 10, False, None, "quarantine"),
        ("PLA-DEMO-001", PLACEBO, placebo, 90, True, {}, "release"),
        ("PLA-DEMO-002", PLACEBO, placebo, 60, False, {}, "release"),
    ]
    for code, product, spec, ago, quality, overrides, fate in plan:
        if session.scalar(select(Lot.id).where(Lot.code == code)) is not None:
            continue
        made = today - dt.timedelta(days=ago)
        sheet = LotSheet.model_validate(_sheet(code, product, made))
        tested = made + dt.timedelta(days=7)
        # A decided lot was registered, tested and signed when it was made, not today: the
        # demo's simulated patients were dosed from it in the past weeks, after its release.
        at = now if overrides is None else _at(made + dt.timedelta(days=8))
        service.register_lot(session, qc, sheet, now=at, random_bytes=rng.randbytes)
        if quality:
            service.record_results(
                session, qc, code, "quality", _results(spec, Level.quality, rng, tested), now=at
            )
        if overrides is None:  # in quarantine: only the first results are in
            partial = _results(spec, Level.release, rng, min(tested, today))[:2]
            service.record_results(session, qc, code, "release", partial, now=now)
            continue
        service.record_results(
            session,
            qc,
            code,
            "release",
            _results(spec, Level.release, rng, tested, **overrides),
            now=at,
        )
        if fate == "release":
            service.release_lot(session, qc, code, password=password, now=at)
        elif fate == "reject":
            service.reject_lot(
                session, qc, code, password=password, reason="mycoplasma positive (PCR)", now=at
            )
