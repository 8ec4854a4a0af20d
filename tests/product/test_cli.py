"""``msctrial product``: what QC does at the terminal, with the CLI's exit-code contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from msctrial.product import service
from tests.cli.conftest import assert_one_plain_error
from tests.product.conftest import NOW

REPO = Path(__file__).resolve().parents[2]
LOTS = REPO / "examples" / "lots"
SPECS = REPO / "examples" / "specifications"


@pytest.fixture
def db(engine, settings, session, trial) -> str:  # noqa: ANN001
    """The test database with the trial's users, as a --db value (stamped as migrated)."""
    from alembic import command

    from msctrial.core.migrate import alembic_config

    session.commit()
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.stamp(cfg, "heads")
    return settings.database_url


def test_spec_check_accepts_a_good_file_and_names_the_field_of_a_bad_one(cli):
    ok = cli("product", "spec", "check", SPECS / "bm-msc-2.0.yaml", "--json")
    assert ok.code == 0 and json.loads(ok.out)["name"] == "bm-msc"
    bad = cli("product", "spec", "check", SPECS / "bad-unknown-criterion.yaml")
    assert_one_plain_error(bad, "tests[0].criterion.type")


def test_qc_records_a_lot_enters_results_and_releases_it_from_the_terminal(
    cli, db, session, trial, stock
):
    password = trial.passwords["qc"] + "\n"
    added = cli(
        "product",
        "lot",
        "add",
        LOTS / "UCM-2026-101.yaml",
        "--db",
        db,
        "--user",
        "qc",
        "--password-stdin",
        stdin=password,
    )
    assert added.code == 0, added.err
    assert "UCM-2026-101: recorded in quarantine with 20 units" in added.out
    blocked = cli("product", "decision", "UCM-2026-101", "--db", db)
    assert blocked.code == 1 and "no result for viability" in blocked.out
    results = cli(
        "product",
        "result",
        "add",
        "UCM-2026-101",
        "--level",
        "release",
        "--file",
        LOTS / "UCM-2026-101-release.yaml",
        "--db",
        db,
        "--user",
        "qc",
        "--password-stdin",
        stdin=password,
    )
    assert results.code == 0, results.err
    assert cli("product", "decision", "UCM-2026-101", "--db", db).code == 0
    unsigned = cli("product", "release", "UCM-2026-101", "--db", db)
    assert_one_plain_error(unsigned, "signed by a QC user")
    released = cli(
        "product",
        "release",
        "UCM-2026-101",
        "--db",
        db,
        "--user",
        "qc",
        "--password-stdin",
        stdin=password,
    )
    assert released.code == 0 and "released, signed by qc" in released.out
    lots = json.loads(cli("product", "lots", "--json", "--db", db).out)
    by_code = {lot["code"]: lot for lot in lots}
    assert by_code["UCM-2026-101"]["status"] == "released"
    assert by_code["UCM-2026-101"]["expires_on"] == "2027-10-05"  # cryopreserved + 365 days


def test_a_pharmacist_may_not_release_and_a_wrong_password_signs_nothing(cli, db, trial, stock):
    cli("product", "lot", "add", LOTS / "PLA-2026-101.yaml", "--db", db)
    pharmacist = cli(
        "product",
        "release",
        "PLA-2026-101",
        "--db",
        db,
        "--user",
        "pharmacist",
        "--password-stdin",
        stdin=trial.passwords["pharmacist"] + "\n",
    )
    assert_one_plain_error(pharmacist, "qc")
    wrong = cli(
        "product",
        "reject",
        "PLA-2026-101",
        "--reason",
        "leak",
        "--db",
        db,
        "--user",
        "qc",
        "--password-stdin",
        stdin="wrong\n",
    )
    assert_one_plain_error(wrong, "wrong password")


def test_trace_by_lot_and_subject_prints_json(cli, db, session, trial, stock):
    pharmacist = trial.actor("pharmacist")
    unit = service.available_units(session, pharmacist, kind="cells", now=NOW)[0].code
    service.issue_units(
        session,
        pharmacist,
        [unit],
        kind="cells",
        subject_code="WUH-001",
        site_id=trial.sites["WUH"].id,
        administration_no=1,
        now=NOW,
    )
    session.commit()
    by_lot = cli("product", "trace", "--lot", stock.cells, "--json", "--db", db)
    assert by_lot.code == 0
    assert [
        (r["subject_code"], r["unit_code"], r["administration_no"])
        for r in json.loads(by_lot.out)["recipients"]
    ] == [("WUH-001", unit, 1)]
    by_subject = json.loads(
        cli("product", "trace", "--subject", "WUH-001", "--json", "--db", db).out
    )
    assert by_subject["units"][0]["lot_code"] == stock.cells
    assert {t["code"] for t in by_subject["lots"][0]["release"]["tests"]} >= {
        "viability",
        "sterility",
    }
    investigator = cli(
        "product",
        "trace",
        "--lot",
        stock.cells,
        "--db",
        db,
        "--user",
        "investigator",
        "--password-stdin",
        stdin=trial.passwords["investigator"] + "\n",
    )
    assert_one_plain_error(investigator, "reveals the allocation")
    assert "WUH-001" not in investigator.out


def test_recall_from_the_terminal_counts_the_recipients(cli, db, session, trial, stock):
    pharmacist = trial.actor("pharmacist")
    units = [u.code for u in service.available_units(session, pharmacist, kind="placebo", now=NOW)][
        :2
    ]
    for n, unit in enumerate(units, 1):
        service.issue_units(
            session,
            pharmacist,
            [unit],
            kind="placebo",
            subject_code=f"WUH-00{n}",
            site_id=trial.sites["WUH"].id,
            administration_no=1,
            now=NOW,
        )
    session.commit()
    result = cli(
        "product",
        "recall",
        stock.placebo,
        "--reason",
        "endotoxin retest",
        "--db",
        db,
        "--user",
        "qc",
        "--password-stdin",
        stdin=trial.passwords["qc"] + "\n",
    )
    assert result.code == 0 and "2 recipient subject(s) marked for follow-up" in result.out
