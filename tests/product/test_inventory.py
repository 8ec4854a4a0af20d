"""The contract with clinical: stock, issuing units to subjects, the bedside check, voiding."""

from __future__ import annotations

import datetime as dt

import pytest

from msctrial.core.errors import InvalidInput, NotFound, PermissionDenied, RuleViolation
from msctrial.core.tables import AuditEntry
from msctrial.product import service
from msctrial.product.schemas import IssueRecord, IssueRecordUnblinded
from tests.product.conftest import NOW, as_yaml, cell_sheet

H = dt.timedelta(hours=1)


def _units(session, trial, kind):  # noqa: ANN001, ANN202
    return [
        u.code
        for u in service.available_units(session, trial.actor("pharmacist"), kind=kind, now=NOW)
    ]


def _issue(session, trial, codes, kind="cells", subject="WUH-001", admin=1):  # noqa: ANN001, ANN202
    out = service.issue_units(
        session,
        trial.actor("pharmacist"),
        codes,
        kind=kind,
        subject_code=subject,
        site_id=trial.sites["WUH"].id,
        administration_no=admin,
        now=NOW,
    )
    session.commit()
    return out


def test_released_units_of_each_kind_are_available_to_the_pharmacist(session, trial, stock):
    cells = service.available_units(session, trial.actor("pharmacist"), kind="cells", now=NOW)
    placebo = service.available_units(session, trial.actor("pharmacist"), kind="placebo", now=NOW)
    assert len(cells) == 4 and {u.lot_code for u in cells} == {stock.cells}
    assert len(placebo) == 4 and {u.lot_code for u in placebo} == {stock.placebo}
    assert all(u.code.startswith("U-") and stock.cells not in u.code for u in cells)
    assert cells[0].cells == 1.0e8 and cells[0].max_hold_h == 4


def test_units_of_a_lot_in_quarantine_are_not_available(session, trial, stock):
    service.register_lot(session, trial.actor("qc"), as_yaml(cell_sheet("UCM-T-009")), now=NOW)
    assert len(_units(session, trial, "cells")) == 4


@pytest.mark.parametrize(
    "username", ["investigator", "coordinator", "monitor", "statistician", "admin", "dsmb"]
)
def test_only_the_pharmacy_and_qc_see_the_stock(session, trial, stock, username):
    with pytest.raises(PermissionDenied, match=r"you need the role pharmacist or qc"):
        service.available_units(session, trial.actor(username), kind="cells", now=NOW)


def test_issuing_units_records_an_audited_issue_and_returns_what_the_bedside_needs(
    session, trial, stock
):
    codes = _units(session, trial, "cells")[:2]
    issued = _issue(session, trial, codes)
    assert [i.unit_code for i in issued] == codes
    assert issued[0].lot_code == stock.cells and issued[0].cells_per_unit == 1.0e8
    assert issued[0].volume_ml == 50 and issued[0].max_hold_h == 4
    assert _units(session, trial, "cells") == _units(session, trial, "cells")[:2]
    entries = session.query(AuditEntry).filter_by(entity="unit_issue").all()
    assert len(entries) == 2 and all(e.site_id == trial.sites["WUH"].id for e in entries)
    assert entries[0].actor == "pharmacist"


def test_issue_refuses_naming_every_reason(session, trial, stock):
    cells = _units(session, trial, "cells")
    placebo = _units(session, trial, "placebo")
    _issue(session, trial, [cells[0]], subject="WUH-002")
    with pytest.raises(RuleViolation, match=r"the units cannot be issued: unit U-\w+:") as exc:
        _issue(session, trial, [cells[0], placebo[0]], kind="cells", subject="WUH-002")
    reasons = exc.value.details["reasons"]
    assert f"unit {cells[0]}: already issued (or discarded)" in reasons
    assert f"unit {placebo[0]}: is a placebo unit, not cells" in reasons


def test_a_subject_who_received_cells_is_never_issued_placebo(session, trial, stock):
    _issue(session, trial, [_units(session, trial, "cells")[0]], subject="WUH-003")
    with pytest.raises(RuleViolation, match="has received cells units before"):
        _issue(
            session,
            trial,
            [_units(session, trial, "placebo")[0]],
            kind="placebo",
            subject="WUH-003",
            admin=2,
        )


def test_an_unknown_unit_is_not_found(session, trial, stock):
    with pytest.raises(NotFound, match="U-NOPE"):
        _issue(session, trial, ["U-NOPE"])


def test_expired_and_recalled_lots_are_refused_at_issue(session, trial, stock):
    unit = _units(session, trial, "cells")[0]
    later = dt.datetime(
        2027, 10, 4, tzinfo=dt.UTC
    )  # the day after expiry (cryo 2026-10-03 + 365 d)
    with pytest.raises(RuleViolation, match="expired on 2027-10-03"):
        service.issue_units(
            session,
            trial.actor("pharmacist"),
            [unit],
            kind="cells",
            subject_code="WUH-004",
            site_id=trial.sites["WUH"].id,
            administration_no=1,
            now=later,
        )
    session.rollback()
    assert (
        service.available_units(session, trial.actor("pharmacist"), kind="cells", now=later) == []
    )
    service.recall_lot(
        session,
        trial.actor("qc"),
        stock.cells,
        password=trial.passwords["qc"],
        reason="sterility",
        now=NOW,
    )
    with pytest.raises(RuleViolation, match="is recalled, not released"):
        _issue(session, trial, [unit])


def test_a_pharmacist_issues_only_at_their_own_site(session, trial, stock):
    with pytest.raises(PermissionDenied, match=r"you need the role pharmacist at this"):
        service.issue_units(
            session,
            trial.actor("pharmacist"),
            _units(session, trial, "cells")[:1],
            kind="cells",
            subject_code="BJS-001",
            site_id=trial.sites["BJS"].id,
            administration_no=1,
            now=NOW,
        )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "exosomes"}, "kind"),
        ({"subject_code": "not a code!"}, "subject_code"),
        ({"administration_no": 0}, "administration_no"),
        ({"administration_no": 11}, "administration_no"),
        ({"now": dt.datetime(2026, 11, 25, 9, 0)}, "now"),
    ],
)
def test_bad_issue_requests_name_the_field(session, trial, stock, changes, field):
    kwargs = dict(
        kind="cells",
        subject_code="WUH-001",
        site_id=trial.sites["WUH"].id,
        administration_no=1,
        now=NOW,
    )
    kwargs.update(changes)
    with pytest.raises(InvalidInput) as exc:
        service.issue_units(
            session, trial.actor("pharmacist"), _units(session, trial, "cells")[:1], **kwargs
        )
    assert exc.value.field == field


def test_blinded_staff_see_issued_units_without_lot_or_contents(session, trial, stock):
    _issue(session, trial, _units(session, trial, "cells")[:1], subject="WUH-005")
    blinded = service.issued_units_for(session, trial.actor("investigator"), "WUH-005")
    assert len(blinded) == 1 and type(blinded[0]) is IssueRecord
    dumped = blinded[0].model_dump()
    assert not {"lot_code", "kind", "cells_per_unit", "volume_ml", "max_hold_h"} & set(dumped)
    unblinded = service.issued_units_for(session, trial.actor("pharmacist"), "WUH-005")
    assert type(unblinded[0]) is IssueRecordUnblinded and unblinded[0].lot_code == stock.cells
    assert service.issued_units_for(session, trial.actor("investigator.bjs"), "WUH-005") == []


def test_the_bedside_refuses_a_unit_issued_to_another_subject(session, trial, stock):
    unit = _issue(session, trial, _units(session, trial, "cells")[:1], subject="WUH-006")[
        0
    ].unit_code
    with pytest.raises(RuleViolation, match="was not issued to subject WUH-007"):
        service.record_unit_use(
            session,
            trial.actor("coordinator"),
            unit,
            subject_code="WUH-007",
            administration_no=1,
            infused_at=NOW + H,
        )


def test_the_bedside_refuses_a_unit_past_its_post_thaw_window(session, trial, stock):
    unit = _issue(session, trial, _units(session, trial, "cells")[:1], subject="WUH-008")[
        0
    ].unit_code
    with pytest.raises(RuleViolation, match="past its post-thaw window") as exc:
        service.record_unit_use(
            session,
            trial.actor("coordinator"),
            unit,
            subject_code="WUH-008",
            administration_no=1,
            thawed_at=NOW,
            infused_at=NOW + 4.5 * H,
        )
    assert "4 h" not in exc.value.message  # the window itself is not named to blinded staff


def test_the_bedside_refuses_an_expired_unit(session, trial, stock):
    unit = _issue(session, trial, _units(session, trial, "cells")[:1], subject="WUH-009")[
        0
    ].unit_code
    with pytest.raises(RuleViolation, match="past its expiry date"):
        service.record_unit_use(
            session,
            trial.actor("investigator"),
            unit,
            subject_code="WUH-009",
            administration_no=1,
            infused_at=dt.datetime(2027, 10, 4, 8, tzinfo=dt.UTC),
        )


def test_a_matching_unit_within_its_window_is_recorded_as_used_once(session, trial, stock):
    unit = _issue(session, trial, _units(session, trial, "cells")[:1], subject="WUH-010")[
        0
    ].unit_code
    record = service.record_unit_use(
        session,
        trial.actor("coordinator"),
        unit,
        subject_code="WUH-010",
        administration_no=1,
        thawed_at=NOW,
        infused_at=NOW + 2 * H,
    )
    session.commit()
    assert record.used_at == NOW + 2 * H and type(record) is IssueRecord
    with pytest.raises(RuleViolation, match="already infused"):
        service.record_unit_use(
            session,
            trial.actor("coordinator"),
            unit,
            subject_code="WUH-010",
            administration_no=1,
            infused_at=NOW + 3 * H,
        )


def test_voiding_an_issue_needs_a_reason_and_returns_an_unthawed_unit_to_stock(
    session, trial, stock
):
    units = _units(session, trial, "cells")
    _issue(session, trial, units[:2], subject="WUH-011")
    with pytest.raises(InvalidInput, match=r"a reason is required to void a"):
        service.void_issue(session, trial.actor("pharmacist"), units[0], reason=" ", now=NOW)
    service.void_issue(
        session,
        trial.actor("pharmacist"),
        units[0],
        reason="wrong subject",
        now=NOW,
        return_to_stock=True,
    )
    service.void_issue(session, trial.actor("pharmacist"), units[1], reason="bag dropped", now=NOW)
    session.commit()
    assert units[0] in _units(session, trial, "cells") and units[1] not in _units(
        session, trial, "cells"
    )
    records = service.issued_units_for(session, trial.actor("pharmacist"), "WUH-011")
    assert [r.voided for r in records] == [True, True]
    assert records[0].void_reason == "wrong subject"


def test_a_voided_issue_never_updates_the_unit_row_so_the_trail_cannot_link_subject_and_lot(
    session, trial, stock
):
    units = _units(session, trial, "cells")
    _issue(session, trial, units[:1], subject="WUH-012")
    service.void_issue(session, trial.actor("pharmacist"), units[0], reason="bag dropped", now=NOW)
    session.commit()
    assert session.query(AuditEntry).filter_by(entity="product_unit", action="void").count() == 0
    assert (
        session.query(AuditEntry)
        .filter(AuditEntry.entity == "product_unit", AuditEntry.action != "create")
        .count()
        == 0
    )
    states = {
        u.code: u.state
        for u in service.lot_detail(session, trial.actor("qc"), stock.cells, now=NOW).units
    }
    assert states[units[0]] == "discarded" and states[units[1]] == "in stock"
