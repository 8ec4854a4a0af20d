"""The lot form's fields become the same lot sheet as the YAML, every wrong field named."""

from __future__ import annotations

import pytest

from msctrial.core.errors import InvalidInput
from msctrial.product.lot_form import lot_sheet_from_form
from msctrial.product.model import ProductSheet

PLACEBO = ProductSheet.model_validate(  # examples/lots/PLA-2026-101.yaml
    {
        "code": "PLACEBO",
        "name": "Normal saline with 1% human albumin",
        "kind": "placebo",
        "shelf_life_days": 365,
        "max_hold_h": 4,
    }
)
FORM = {
    "lot": "PLA-2026-101",
    "product": "PLACEBO",
    "specification": "placebo-saline-albumin@1.0",
    "process_version": "1.0",
    "manufactured_on": "2026-10-06",
    "storage_location": "LN2 tank 2, rack C, box 1",
    "units.count": "20",
    "units.volume_ml": "50",
    "units.cells_per_unit": " ",
}


def test_a_registered_product_is_named_and_blank_fields_are_not_given():
    sheet = lot_sheet_from_form(FORM, {"PLACEBO": PLACEBO})
    assert sheet.product == PLACEBO
    assert (sheet.units.count, sheet.units.volume_ml, sheet.units.cells_per_unit) == (20, 50, None)
    assert str(sheet.manufactured_on) == "2026-10-06"


def test_a_new_product_is_described_by_its_own_fields():
    form = {k: v for k, v in FORM.items() if k != "product"} | {
        "product.code": "PLACEBO",
        "product.name": "Saline",
        "product.kind": "placebo",
        "product.shelf_life_days": "365",
    }
    sheet = lot_sheet_from_form(form, {})
    assert (sheet.product.code, sheet.product.shelf_life_days) == ("PLACEBO", 365)


def test_every_wrong_field_is_named_at_once():
    bad = FORM | {"units.count": "twenty", "manufactured_on": "06/10/2026", "lot": "P"}
    with pytest.raises(InvalidInput) as err:
        lot_sheet_from_form(bad, {"PLACEBO": PLACEBO})
    named = {p["field"] for p in err.value.details["problems"]}
    assert named == {"units.count", "manufactured_on", "lot"}


def test_a_product_not_registered_is_refused_naming_the_ones_that_are():
    with pytest.raises(InvalidInput, match="choose one of PLACEBO") as err:
        lot_sheet_from_form(FORM | {"product": "UC-MSC"}, {"PLACEBO": PLACEBO})
    assert err.value.field == "product"


def test_placebo_units_with_cells_are_refused_as_the_yaml_would_be():
    with pytest.raises(InvalidInput, match="a placebo unit contains no cells"):
        lot_sheet_from_form(FORM | {"units.cells_per_unit": "1e8"}, {"PLACEBO": PLACEBO})
