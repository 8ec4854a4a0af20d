"""A lot sheet from the fields of the web form, so QC can record a lot without writing YAML.

Pure: the form's text becomes the same ``LotSheet`` the YAML upload and ``msctrial product lot
add`` give to ``service.register_lot``, with the same checks. Field names are the sheet's own
paths (``units.count``), so a refusal names the field of the form that is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from msctrial.core.errors import InvalidInput
from msctrial.core.validation import explain
from msctrial.product.model import LotSheet, ProductSheet

LOT_FIELDS = (
    "lot",
    "specification",
    "process_version",
    "donor_code",
    "passage",
    "manufactured_on",
    "cryopreserved_on",
    "expires_on",
    "storage_location",
)
PRODUCT_FIELDS = tuple(ProductSheet.model_fields)
UNIT_FIELDS = ("count", "cells_per_unit", "volume_ml")


def _filled(form: Mapping[str, str], names: tuple[str, ...], prefix: str = "") -> dict[str, str]:
    """The fields given, by their name in the sheet; a blank field is not given."""
    out = {}
    for name in names:
        value = (form.get(prefix + name) or "").strip()
        if value:
            out[name] = value
    return out


def lot_sheet_from_form(form: Mapping[str, str], known: Mapping[str, ProductSheet]) -> LotSheet:
    """The lot sheet the form describes, or every wrong field at once (``InvalidInput``).

    ``product`` names a product already registered (``known``, by code); left blank, the
    ``product.*`` fields describe a new one, registered with this lot.
    """
    data: dict[str, Any] = _filled(form, LOT_FIELDS)
    chosen = (form.get("product") or "").strip()
    if chosen:
        if chosen not in known:
            allowed = ", ".join(sorted(known)) or "none yet; describe a new product"
            raise InvalidInput(
                f"product: {chosen!r} is not a registered product; choose one of {allowed}",
                field="product",
            )
        data["product"] = known[chosen].model_dump(mode="json", exclude_none=True)
    else:
        data["product"] = _filled(form, PRODUCT_FIELDS, "product.")
    data["units"] = _filled(form, UNIT_FIELDS, "units.")
    try:
        return LotSheet.model_validate(data)
    except ValidationError as exc:
        raise explain(exc, LotSheet, named_fields=True) from None
