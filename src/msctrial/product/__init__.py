"""The cell product: lots, their quality and release inspections, the pharmacy's stock."""

from msctrial.product.service import (
    available_units,
    decision_for,
    issue_units,
    issued_units_for,
    list_lots,
    lot_detail,
    recall_lot,
    record_results,
    record_unit_use,
    register_lot,
    reject_lot,
    release_lot,
    unit_problems,
    void_issue,
)

__all__ = [
    "available_units",
    "decision_for",
    "issue_units",
    "issued_units_for",
    "list_lots",
    "lot_detail",
    "recall_lot",
    "record_results",
    "record_unit_use",
    "register_lot",
    "reject_lot",
    "release_lot",
    "unit_problems",
    "void_issue",
]
