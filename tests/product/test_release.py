"""Release: the decision as a table of cases, e-signatures, the status machine, recall."""

from __future__ import annotations

import datetime as dt

import pytest

from msctrial.core.actors import Actor
from msctrial.core.errors import (
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ReasonRequired,
    RuleViolation,
)
from msctrial.core.tables import AuditEntry
from msctrial.product import documents, service, trace
from msctrial.product.model import (
    InspectionOutcome,
    LotFacts,
    LotStatus,
    judge_inspection,
    release_decision,
    unit_code,
)
from msctrial.product.specification import Level, ResultInput
from msctrial.product.tables import Lot, LotSignature, Unit
from tests.product.conftest import NOW, as_yaml, cell_sheet, passing_results, spec_of

SPEC = spec_of("msc-default")
TODAY = dt.date(2026, 11, 25)
FACTS = LotFacts("L1", LotStatus.quarantine, dt.date(2027, 1, 1), "UC-MSC", "1.2", units=10)
# The failing value of each numeric release test, and the outcome that fails each qualitative one.
FAILING = {
    "cd73": ResultInput(test="cd73", value=90.0, unit="%"),
    "cd90": ResultInput(test="cd90", value=94.0, unit="%"),
    "cd105": ResultInput(test="cd105", value=80.0, unit="%"),
    "cd45": ResultInput(test="cd45", value=3.5, unit="%"),
    "hla_dr": ResultInput(test="hla_dr", value=2.5, unit="%"),
    "viability": ResultInput(test="viability", value=75.0, unit="%"),
    "cell_count": ResultInput(test="cell_count", value=7.0e7, unit="cells"),
    "sterility": ResultInput(test="sterility", outcome="positive"),
    "mycoplasma": ResultInput(test="mycoplasma", outcome="positive"),
    "endotoxin": ResultInput(test="endotoxin", value=3.0, unit="EU/mL"),
}


def _passed_quality() -> InspectionOutcome:
    results = {r.test: r for r in passing_results(SPEC, Level.quality)}
    return judge_inspection(SPEC, Level.quality, results, volume_per_kg_ml=2.5)


def _release(**replace: ResultInput | None) -> InspectionOutcome:
    results = {r.test: r for r in passing_results(SPEC, Level.release)}
    for code, result in replace.items():
        if result is None:
            results.pop(code)
        else:
            results[code] = result
    return judge_inspection(SPEC, Level.release, results, volume_per_kg_ml=2.5)


def test_every_release_test_has_a_failing_case_below():
    assert set(FAILING) == {t.code for t in SPEC.tests_for(Level.release)}


def test_a_lot_with_everything_in_order_is_releasable():
    decision = release_decision(FACTS, SPEC, _release(), [_passed_quality()], TODAY)
    assert decision.releasable and decision.reasons == []


@pytest.mark.parametrize("code", sorted(FAILING))
def test_each_release_test_failing_alone_blocks_with_its_own_reason(code):
    decision = release_decision(
        FACTS, SPEC, _release(**{code: FAILING[code]}), [_passed_quality()], TODAY
    )
    assert [(b.code, b.test) for b in decision.blockers] == [("out_of_spec", code)]
    assert decision.reasons[0].startswith(f"release inspection: {code} out of specification: ")


@pytest.mark.parametrize(
    ("facts", "release", "quality", "reasons"),
    [
        (
            FACTS,
            _release(viability=None),
            [_passed_quality()],
            ["release inspection: no result for viability (Viable cells after thaw)"],
        ),
        (
            LotFacts("L1", LotStatus.quarantine, dt.date(2026, 11, 24), "UC-MSC", "1.2", 10),
            _release(),
            [_passed_quality()],
            ["lot L1 expired on 2026-11-24"],
        ),
        (FACTS, _release(), [], ["no passed quality inspection of UC-MSC process version 1.2"]),
        (
            FACTS,
            _release(),
            [judge_inspection(SPEC, Level.quality, {}, volume_per_kg_ml=2.5)],
            ["no passed quality inspection of UC-MSC process version 1.2"],
        ),
        (
            LotFacts("L1", LotStatus.rejected, dt.date(2027, 1, 1), "UC-MSC", "1.2", 10),
            _release(),
            [_passed_quality()],
            ["lot L1 is rejected; only a lot in quarantine can be released"],
        ),
        (
            LotFacts("L1", LotStatus.quarantine, dt.date(2027, 1, 1), "UC-MSC", "1.2", 0),
            _release(),
            [_passed_quality()],
            ["lot L1 has no units to release"],
        ),
    ],
    ids=[
        "missing result",
        "expired",
        "no quality inspection",
        "quality inspection incomplete",
        "not in quarantine",
        "no units",
    ],
)
def test_the_release_decision_gives_the_exact_reason(facts, release, quality, reasons):
    assert release_decision(facts, SPEC, release, quality, TODAY).reasons == reasons


def test_the_release_decision_lists_every_blocking_reason_at_once():
    expired = LotFacts("L1", LotStatus.quarantine, dt.date(2026, 1, 1), "UC-MSC", "1.2", 10)
    release = _release(sterility=FAILING["sterility"], viability=None)
    codes = [b.code for b in release_decision(expired, SPEC, release, [], TODAY).blockers]
    assert codes == ["expired", "no_quality_inspection", "missing_result", "out_of_spec"]


def test_the_last_day_of_shelf_life_is_still_within_it():
    last_day = LotFacts("L1", LotStatus.quarantine, TODAY, "UC-MSC", "1.2", 10)
    assert release_decision(last_day, SPEC, _release(), [_passed_quality()], TODAY).releasable


def test_unit_codes_are_opaque_and_carry_no_lot():
    code = unit_code(bytes(range(8)))
    assert code.startswith("U-") and len(code) == 14 and code[2:].isalnum()


# --- the services --------------------------------------------------------------------------


def _quarantined(session, trial, code="UCM-T-100", quality=True):  # noqa: ANN001, ANN202
    qc = trial.actor("qc")
    service.register_lot(session, qc, as_yaml(cell_sheet(code)), now=NOW)
    if quality:
        service.record_results(
            session, qc, code, "quality", passing_results(SPEC, Level.quality), now=NOW
        )
    service.record_results(
        session, qc, code, "release", passing_results(SPEC, Level.release), now=NOW
    )
    return code


def test_a_release_is_e_signed_by_a_qc_user_and_audited(session, trial):
    code = _quarantined(session, trial)
    service.release_lot(session, trial.actor("qc"), code, password=trial.passwords["qc"], now=NOW)
    lot = session.query(Lot).filter_by(code=code).one()
    assert lot.status == "released"
    sig = session.query(LotSignature).filter_by(lot_id=lot.id).one()
    assert (sig.action, sig.signed_by, sig.signed_at) == ("release", "qc", NOW)
    assert sig.signer_name.startswith("Liu Yang")
    entry = (
        session.query(AuditEntry)
        .filter_by(entity="lot", entity_id=str(lot.id), action="release")
        .one()
    )
    assert entry.changes["status"] == ["quarantine", "released"] and entry.actor == "qc"


def test_a_wrong_signature_password_releases_nothing(session, trial):
    code = _quarantined(session, trial)
    with pytest.raises(NotAuthenticated, match=r"signature: the password is wrong; the action"):
        service.release_lot(session, trial.actor("qc"), code, password="not-it", now=NOW)
    session.rollback()
    assert session.query(Lot).filter_by(code=code).one().status == "quarantine"
    assert session.query(LotSignature).count() == 0


@pytest.mark.parametrize("username", ["pharmacist", "investigator", "admin", "monitor", "dsmb"])
def test_only_qc_may_release(session, trial, username):
    code = _quarantined(session, trial)
    with pytest.raises(PermissionDenied, match=r"you need the role qc to release"):
        service.release_lot(
            session, trial.actor(username), code, password=trial.passwords[username], now=NOW
        )


def test_the_terminal_operator_cannot_sign_a_release(session, trial):
    code = _quarantined(session, trial)
    with pytest.raises(PermissionDenied, match="named QC user"):
        service.release_lot(session, Actor.system_actor("cli:op"), code, password="", now=NOW)


def test_a_blocked_release_is_refused_with_every_reason(session, trial):
    code = _quarantined(session, trial, quality=False)
    with pytest.raises(RuleViolation, match=r"lot UCM-T-100 cannot be released: no passed") as exc:
        service.release_lot(
            session, trial.actor("qc"), code, password=trial.passwords["qc"], now=NOW
        )
    assert exc.value.details["reasons"] == [
        "no passed quality inspection of UC-MSC process version 1.2"
    ]


def test_a_quality_inspection_on_one_lot_qualifies_later_lots_of_the_same_process(session, trial):
    _quarantined(session, trial, "UCM-T-101")
    second = _quarantined(session, trial, "UCM-T-102", quality=False)
    assert service.decision_for(session, trial.actor("qc"), second, now=NOW).releasable
    other_process = cell_sheet("UCM-T-103", process_version="2.0")
    service.register_lot(session, trial.actor("qc"), as_yaml(other_process), now=NOW)
    blockers = service.decision_for(session, trial.actor("qc"), "UCM-T-103", now=NOW).blockers
    assert blockers[0].message == "no passed quality inspection of UC-MSC process version 2.0"


def test_rejection_needs_a_reason_and_a_rejected_lot_can_never_be_released(session, trial):
    code = _quarantined(session, trial)
    qc, pw = trial.actor("qc"), trial.passwords["qc"]
    with pytest.raises(ReasonRequired, match=r"a reason is required to reject a"):
        service.reject_lot(session, qc, code, password=pw, reason="  ", now=NOW)
    service.reject_lot(session, qc, code, password=pw, reason="viability trend", now=NOW)
    with pytest.raises(Conflict, match=r"lot UCM-T-100 cannot be released: lot UCM-T-100"):
        service.release_lot(session, qc, code, password=pw, now=NOW)
    with pytest.raises(Conflict, match="cannot become recalled"):
        service.recall_lot(session, qc, code, password=pw, reason="x", now=NOW)


def test_a_recall_marks_exactly_the_recipients_for_follow_up(session, trial, stock):
    pharmacist, wuh = trial.actor("pharmacist"), trial.sites["WUH"].id
    units = [u.code for u in service.available_units(session, pharmacist, kind="cells", now=NOW)]
    for subject, admin, unit in [
        ("WUH-001", 1, units[0]),
        ("WUH-001", 2, units[1]),
        ("WUH-002", 1, units[2]),
    ]:
        service.issue_units(
            session,
            pharmacist,
            [unit],
            kind="cells",
            subject_code=subject,
            site_id=wuh,
            administration_no=admin,
            now=NOW,
        )
    service.issue_units(
        session,
        pharmacist,
        [units[3]],
        kind="cells",
        subject_code="WUH-003",
        site_id=wuh,
        administration_no=1,
        now=NOW,
    )
    service.void_issue(session, pharmacist, units[3], reason="dispensing error", now=NOW)
    session.commit()
    signed = service.recall_lot(
        session,
        trial.actor("qc"),
        stock.cells,
        password=trial.passwords["qc"],
        reason="sterility failure on retest",
        now=NOW,
    )
    assert signed.follow_ups == 2
    rows = trace.list_follow_ups(session, pharmacist, lot_code=stock.cells)
    assert sorted(r.subject_code or "" for r in rows) == ["WUH-001", "WUH-002"]
    assert trace.list_follow_ups(session, pharmacist, lot_code=stock.placebo) == []
    seen_by_qc = trace.list_follow_ups(session, trial.actor("qc"), lot_code=stock.cells)
    assert [r.id for r in seen_by_qc] == [r.id for r in rows]
    assert {r.subject_code for r in seen_by_qc} == {None}
    closed = trace.close_follow_up(
        session, pharmacist, rows[0].id, note="safety visit booked", now=NOW
    )
    assert closed.closed_by == "pharmacist"


def test_a_replaced_result_needs_a_reason_and_the_old_one_is_kept_voided(session, trial):
    code = _quarantined(session, trial)
    qc = trial.actor("qc")
    with pytest.raises(ReasonRequired, match=r"a reason is required to replace the"):
        service.record_results(
            session, qc, code, "release", [ResultInput(test="viability", value=85.0)], now=NOW
        )
    session.rollback()
    detail = service.record_results(
        session,
        qc,
        code,
        "release",
        [ResultInput(test="viability", value=85.0)],
        now=NOW,
        reason="recount",
    )
    line = next(t for t in detail.release.tests if t.code == "viability")
    assert line.result == "85 %"
    voided = session.query(AuditEntry).filter_by(entity="product_test_result", action="void").one()
    assert voided.reason == "recount" and voided.changes["void_reason"] == [None, "recount"]


@pytest.mark.parametrize(
    ("results", "field"),
    [
        ([ResultInput(test="karyotype", outcome="conforms")], "test"),  # a quality-only test
        ([ResultInput(test="nope", value=1.0)], "test"),
        ([ResultInput(test="viability", value=90, unit="EU/kg")], "unit"),
        ([ResultInput(test="viability", value=90, tested_on=dt.date(2027, 1, 1))], "tested_on"),
        (
            [ResultInput(test="viability", value=90), ResultInput(test="viability", value=91)],
            "test",
        ),
    ],
)
def test_bad_results_save_nothing(session, trial, results, field):
    qc = trial.actor("qc")
    service.register_lot(session, qc, as_yaml(cell_sheet("UCM-T-200")), now=NOW)
    with pytest.raises(InvalidInput) as exc:
        service.record_results(session, qc, "UCM-T-200", "release", results, now=NOW)
    assert exc.value.field == field
    session.rollback()
    detail = service.lot_detail(session, qc, "UCM-T-200", now=NOW)
    assert all(t.result is None for t in detail.release.tests)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"manufactured_on": "2026-13-01"}, "manufactured_on"),
        ({"cryopreserved_on": "2026-09-01"}, None),  # before manufacture
        ({"manufactured_on": "2026-12-01", "cryopreserved_on": "2026-12-02"}, "manufactured_on"),
        ({"expires_on": "2028-01-01"}, "expires_on"),  # beyond the 365-day shelf life
        ({"units": {"count": 0, "cells_per_unit": 1e8, "volume_ml": 50}}, "units.count"),
        ({"units": {"count": 2, "volume_ml": 50}}, None),  # cells lot without cells per unit
        ({"passage": 45}, "passage"),
        ({"specification": "msc-default@9.9"}, "specification"),
        ({"product": {**cell_sheet()["product"], "kind": "exosomes"}}, "product.kind"),
    ],
)
def test_a_bad_lot_sheet_saves_nothing(session, trial, changes, field):
    with pytest.raises((InvalidInput, NotFound)) as exc:
        service.register_lot(session, trial.actor("qc"), as_yaml(cell_sheet(**changes)), now=NOW)
    if field:
        assert exc.value.field == field
    session.rollback()
    assert session.query(Lot).count() == 0 and session.query(Unit).count() == 0


def test_a_product_registered_differently_is_a_conflict(session, trial):
    qc = trial.actor("qc")
    service.register_lot(session, qc, as_yaml(cell_sheet("UCM-T-300")), now=NOW)
    other = cell_sheet("UCM-T-301")
    other["product"] = {**other["product"], "tissue_source": "bone_marrow"}
    with pytest.raises(
        Conflict, match=r"product\.tissue_source: product UC-MSC is registered with tissue_source"
    ) as exc:
        service.register_lot(session, qc, as_yaml(other), now=NOW)
    assert exc.value.field == "product.tissue_source"


def test_the_certificate_exists_only_for_a_released_lot(session, trial):
    code = _quarantined(session, trial)
    with pytest.raises(Conflict, match="only for a released lot"):
        documents.certificate(session, trial.actor("qc"), code, now=NOW)
    service.release_lot(session, trial.actor("qc"), code, password=trial.passwords["qc"], now=NOW)
    cert = documents.certificate(session, trial.actor("pharmacist"), code, now=NOW)
    assert cert.release.passed and cert.signatures[0].action == "release"
    assert len(cert.release.tests) == len(SPEC.tests_for(Level.release))
