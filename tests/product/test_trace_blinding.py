"""Trace and the blind: QC reaches dispensations, only unblinded roles reach subjects."""

from __future__ import annotations

import pytest

from msctrial.core.actors import Actor, Grant
from msctrial.core.errors import PermissionDenied
from msctrial.product import service, trace
from tests.product.conftest import NOW


def _issue_at(session, trial, site: str, subject: str) -> str:  # noqa: ANN001
    pharmacist = Actor("pharmacist.all", grants=(Grant("pharmacist"),))
    unit = service.available_units(session, pharmacist, kind="cells", now=NOW)[0].code
    service.issue_units(
        session,
        pharmacist,
        [unit],
        kind="cells",
        subject_code=subject,
        site_id=trial.sites[site].id,
        administration_no=1,
        now=NOW,
    )
    session.commit()
    return unit


def test_qc_who_is_also_a_site_pharmacist_sees_subjects_at_that_site_only(session, trial, stock):
    _issue_at(session, trial, "WUH", "WUH-001")
    _issue_at(session, trial, "BJS", "BJS-001")
    wuh = trial.sites["WUH"]
    both = Actor("qc.pharm", grants=(Grant("qc"), Grant("pharmacist", wuh.id, "WUH")))
    recipients = trace.trace_lot(session, both, stock.cells, now=NOW).recipients
    assert sorted((r.site_code, r.subject_code) for r in recipients) == [
        ("BJS", None),
        ("WUH", "WUH-001"),
    ]
    assert trace.trace_subject(session, both, "WUH-001", now=NOW).units
    with pytest.raises(Exception, match="no units were issued to 'BJS-001'"):
        trace.trace_subject(session, both, "BJS-001", now=NOW)


def test_each_dispensation_keeps_one_reference_for_qc_and_the_pharmacist(session, trial, stock):
    _issue_at(session, trial, "WUH", "WUH-001")
    by_qc = trace.trace_lot(session, trial.actor("qc"), stock.cells, now=NOW).recipients
    by_pharmacy = trace.trace_lot(session, trial.actor("pharmacist"), stock.cells, now=NOW)
    assert [r.dispensation for r in by_qc] == [r.dispensation for r in by_pharmacy.recipients]
    assert [r.subject_code for r in by_pharmacy.recipients] == ["WUH-001"]


def test_qc_may_neither_trace_a_subject_nor_close_a_follow_up(session, trial, stock):
    _issue_at(session, trial, "WUH", "WUH-001")
    qc = trial.actor("qc")
    with pytest.raises(PermissionDenied, match="dsmb or pharmacist to trace a subject"):
        trace.trace_subject(session, qc, "WUH-001", now=NOW)
    service.recall_lot(
        session, qc, stock.cells, password=trial.passwords["qc"], reason="retest", now=NOW
    )
    (follow_up,) = trace.list_follow_ups(session, qc, lot_code=stock.cells)
    assert follow_up.subject_code is None
    with pytest.raises(PermissionDenied, match="pharmacist to close recall follow-ups"):
        trace.close_follow_up(session, qc, follow_up.id, note="called", now=NOW)
    closed = trace.close_follow_up(
        session, trial.actor("pharmacist"), follow_up.id, note="visit booked", now=NOW
    )
    assert closed.subject_code == "WUH-001" and closed.closed_by == "pharmacist"
