"""QC records a lot and its units through the web form: the same lot sheet and service as the
YAML upload, every wrong field named at once, nothing written on refusal, QC only."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from msctrial.demo.spine import USERS
from msctrial.product.tables import Lot, Product, Unit
from tests.web.conftest import csrf_of

CELL_LOT = {  # examples/lots/UCM-2026-101.yaml, as a form
    "lot": "UCM-2026-201",
    "product": "",
    "product.code": "UC-MSC",
    "product.name": "Umbilical cord MSCs, cryopreserved",
    "product.kind": "cells",
    "product.tissue_source": "umbilical_cord",
    "product.donor_type": "allogeneic",
    "product.shelf_life_days": "365",
    "product.max_hold_h": "4",
    "specification": "msc-default@1.0",
    "process_version": "1.2",
    "donor_code": "D-0107",
    "passage": "4",
    "manufactured_on": "2026-10-02",
    "cryopreserved_on": "2026-10-05",
    "storage_location": "LN2 tank 2, rack B, box 7",
    "units.count": "6",
    "units.cells_per_unit": "1e8",
    "units.volume_ml": "50",
}


def _qc(login):  # noqa: ANN001, ANN202
    client = login("qc")
    page = client.get("/product/new-lot")
    assert page.status_code == 200
    return client, csrf_of(page.text)


def _counts(session) -> tuple[int, int, int]:  # noqa: ANN001
    n = tuple(
        int(session.scalar(select(func.count()).select_from(t)) or 0) for t in (Lot, Unit, Product)
    )
    session.commit()
    return n  # type: ignore[return-value]


def test_qc_records_a_cell_lot_and_its_units_with_the_form(login, session):
    client, csrf = _qc(login)
    done = client.post("/product/new-lot", data={"csrf_token": csrf, **CELL_LOT})
    assert done.status_code == 303, html.unescape(done.text)[-3000:]
    assert done.headers["location"] == "/product/lots/UCM-2026-201"
    lot = session.scalar(select(Lot).where(Lot.code == "UCM-2026-201"))
    assert lot is not None and lot.status == "quarantine"
    assert str(lot.expires_on) == "2027-10-05"  # 365 days from cryopreservation
    units = session.scalars(select(Unit).where(Unit.lot_id == lot.id)).all()
    session.commit()
    assert len(units) == 6 and {u.cells for u in units} == {1e8}


def test_a_second_lot_names_the_registered_product_instead_of_describing_it(login, session):
    client, csrf = _qc(login)
    assert client.post("/product/new-lot", data={"csrf_token": csrf, **CELL_LOT}).status_code == 303
    form = client.get("/product/new-lot").text
    assert '<option value="UC-MSC"' in form
    second = {k: v for k, v in CELL_LOT.items() if not k.startswith("product.")}
    second |= {"lot": "UCM-2026-202", "product": "UC-MSC"}
    assert client.post("/product/new-lot", data={"csrf_token": csrf, **second}).status_code == 303
    assert _counts(session)[2] == 1


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"units.count": "many", "passage": "-1"}, ["units.count", "passage"]),
        ({"product.kind": "saline", "units.volume_ml": ""}, ["product.kind", "units.volume_ml"]),
        ({"manufactured_on": "2026-13-40"}, ["manufactured_on"]),
        ({"product": "NOPE"}, ["product"]),
        ({"lot": "X"}, ["lot"]),
        ({"units.cells_per_unit": "1e12"}, ["units.cells_per_unit"]),
        ({"specification": "unknown-spec@9"}, ["specification"]),
    ],
    ids=["count-and-passage", "kind-and-volume", "date", "product", "lot", "cells", "spec"],
)
def test_a_bad_lot_form_names_every_wrong_field_and_writes_nothing(login, session, change, fields):
    client, csrf = _qc(login)
    before = _counts(session)
    refused = client.post("/product/new-lot", data={"csrf_token": csrf, **CELL_LOT, **change})
    assert refused.status_code == 422
    text = html.unescape(refused.text)
    for field in fields:
        assert f'id="{field}-error"' in text and f"{field}: " in text, field
    assert f'value="{CELL_LOT["storage_location"]}"' in text  # what was typed stays
    assert _counts(session) == before


@pytest.mark.parametrize("username", sorted(u for u, *_ in USERS if u != "qc"))
def test_only_qc_reaches_the_lot_form(login, session, username):
    client = login(username)
    assert client.get("/product/new-lot").status_code == 403
    csrf = csrf_of(client.get("/").text)
    posted = client.post("/product/new-lot", data={"csrf_token": csrf, **CELL_LOT})
    assert posted.status_code == 403
    assert "UCM-2026-201" not in posted.text
    assert _counts(session)[0] == 0


def test_a_lot_code_used_before_is_refused_beside_the_lot_field(login, session):
    client, csrf = _qc(login)
    assert client.post("/product/new-lot", data={"csrf_token": csrf, **CELL_LOT}).status_code == 303
    before = _counts(session)
    again = client.post("/product/new-lot", data={"csrf_token": csrf, **CELL_LOT})
    assert again.status_code == 409
    assert 'id="lot-error"' in again.text and "is already recorded" in again.text
    assert _counts(session) == before
