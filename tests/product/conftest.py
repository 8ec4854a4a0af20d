"""Product fixtures: lot sheets, passing results, and a stock of released cell and placebo lots."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
import yaml

from msctrial.product import service
from msctrial.product.spec_store import builtin_specification_text
from msctrial.product.specification import (
    Level,
    ResultInput,
    Specification,
    load_specification_text,
)

NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)


def cell_sheet(code: str = "UCM-T-001", **changes: Any) -> dict[str, Any]:
    sheet: dict[str, Any] = {
        "lot": code,
        "product": {
            "code": "UC-MSC",
            "name": "Umbilical cord MSCs, cryopreserved",
            "kind": "cells",
            "tissue_source": "umbilical_cord",
            "donor_type": "allogeneic",
            "shelf_life_days": 365,
            "max_hold_h": 4,
        },
        "specification": "msc-default@1.0",
        "process_version": "1.2",
        "donor_code": "D-0001",
        "passage": 4,
        "manufactured_on": "2026-10-01",
        "cryopreserved_on": "2026-10-03",
        "storage_location": "LN2 tank 1",
        "units": {"count": 4, "cells_per_unit": 1.0e8, "volume_ml": 50},
    }
    sheet.update(changes)
    return sheet


def placebo_sheet(code: str = "PLA-T-001", **changes: Any) -> dict[str, Any]:
    sheet: dict[str, Any] = {
        "lot": code,
        "product": {
            "code": "PLACEBO",
            "name": "Normal saline with 1% human albumin",
            "kind": "placebo",
            "shelf_life_days": 365,
            "max_hold_h": 4,
        },
        "specification": "placebo-saline-albumin@1.0",
        "process_version": "1.0",
        "manufactured_on": "2026-10-05",
        "storage_location": "LN2 tank 1",
        "units": {"count": 4, "volume_ml": 50},
    }
    sheet.update(changes)
    return sheet


def as_yaml(sheet: dict[str, Any]) -> str:
    return yaml.safe_dump(sheet, sort_keys=False)


def spec_of(name: str) -> Specification:
    return load_specification_text(builtin_specification_text(name))


# A passing value for each numeric test of the built-in specifications.
PASSING = {
    "cd73": (99.0, "%"),
    "cd90": (98.5, "%"),
    "cd105": (97.0, "%"),
    "cd45": (0.5, "%"),
    "cd34": (0.3, "%"),
    "cd14_or_cd11b": (0.4, "%"),
    "cd79a_or_cd19": (0.2, "%"),
    "hla_dr": (0.6, "%"),
    "viability": (92.0, "%"),
    "cell_count": (1.0e8, "cells"),
    "endotoxin": (0.25, "EU/mL"),
    "potency_t_cell": (45.0, "%"),
}


def passing_results(spec: Specification, level: Level) -> list[ResultInput]:
    out = []
    for t in spec.tests_for(level):
        if t.code in PASSING and t.criterion.type.value not in ("negative", "conforms"):
            value, unit = PASSING[t.code]
            if spec.kind.value == "placebo" and t.code == "endotoxin":
                value = 0.1
            out.append(ResultInput(test=t.code, value=value, unit=unit))
        else:
            out.append(ResultInput(test=t.code, outcome=t.criterion.type.value))
    return out


@dataclass
class Stock:
    cells: str
    placebo: str


def released_lot(session, trial, sheet: dict[str, Any], *, quality: bool = True) -> str:  # noqa: ANN001
    """Record a lot, enter passing results, and release it signed by the demo QC user."""
    qc = trial.actor("qc")
    detail = service.register_lot(session, qc, as_yaml(sheet), now=NOW)
    spec = spec_of(sheet["specification"].split("@")[0])
    if quality:
        service.record_results(
            session,
            qc,
            detail.summary.code,
            "quality",
            passing_results(spec, Level.quality),
            now=NOW,
        )
    service.record_results(
        session, qc, detail.summary.code, "release", passing_results(spec, Level.release), now=NOW
    )
    service.release_lot(session, qc, detail.summary.code, password=trial.passwords["qc"], now=NOW)
    return detail.summary.code


@pytest.fixture
def stock(session, trial) -> Stock:  # noqa: ANN001
    """A released cell lot UCM-T-001 and a released placebo lot PLA-T-001, 4 units each."""
    made = Stock(
        cells=released_lot(session, trial, cell_sheet()),
        placebo=released_lot(session, trial, placebo_sheet()),
    )
    session.commit()  # end the read transaction, so the app under test can write (SQLite)
    return made


# The web fixtures (client, login, token) from tests/web, for the product's pages and API.
from tests.cli.conftest import cli  # noqa: E402, F401
from tests.web.conftest import client, login, token  # noqa: E402, F401


@pytest.fixture
def app(settings, engine, trial, session):  # noqa: ANN001, ANN201
    """The app on the test database; the test's own session ends its read first (SQLite)."""
    from msctrial.web.app import create_app

    session.commit()
    return create_app(settings, engine)
