"""``msctrial clinical`` part 2: forms, check-form, overdue, queries, sae-reports, casebook,
export-values and simulate, with their exit codes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from msctrial.cli.main import main


def run(capsys, *args):  # noqa: ANN001, ANN201
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> str:
    """The demo with six simulated patients (its first patients are past their early visits)."""
    db = str(tmp_path_factory.mktemp("cli") / "demo.db")
    assert main(["demo", "--db", db, "--no-serve", "--subjects", "6", "--seed", "3"]) == 0
    return db


def values_file(tmp_path: Path, data) -> str:  # noqa: ANN001
    path = tmp_path / "values.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


@pytest.mark.parametrize(
    ("values", "exit_code"),
    [
        ({"pao2": {"value": 10.6, "unit": "kPa"}, "fio2": 0.4}, 0),
        ({"pao2": 80, "fio2": 40}, 1),  # FiO2 40 read as 40 %: a query
        ({"pao2": 80, "fio2": 4}, 2),  # neither a fraction nor a percentage
        ({"pao2": 80}, 2),  # FiO2 is required
        ("{not json", 2),
        ([1, 2], 2),
    ],
)
def test_check_form_exits_0_usual_1_queried_2_refused(tmp_path, capsys, values, exit_code):
    code, out, err = run(
        capsys,
        "clinical",
        "check-form",
        "blood_gas",
        "--input",
        values_file(tmp_path, values),
        "--json",
    )
    assert code == exit_code
    if exit_code == 2:
        assert err.startswith("error: ") and out == ""
    else:
        data = json.loads(out)
        assert (
            data["values"]["pf_ratio"]["derived"] and data["values"]["pf_ratio"]["unit"] == "mmHg"
        )
        assert bool(data["queries"]) is (exit_code == 1)


def test_check_form_applies_the_altitude_correction(tmp_path, capsys):
    path = values_file(tmp_path, {"pao2": 140, "fio2": 0.4})
    code, out, _ = run(
        capsys,
        "clinical",
        "check-form",
        "blood_gas",
        "--input",
        path,
        "--altitude-m",
        "1890",
        "--pressure-mmhg",
        "608",
        "--json",
    )
    assert code == 0 and json.loads(out)["values"]["pf_ratio_corrected"]["value"] == pytest.approx(
        280
    )


def test_forms_lists_items_with_units_and_limits(capsys):
    code, out, _ = run(capsys, "clinical", "forms", "chemistry", "--json")
    (form,) = json.loads(out)
    crp = next(i for i in form["items"] if i["name"] == "crp")
    assert code == 0 and crp["unit"] == "mg/L" and "mg/dL" in crp["units"]
    code, _, err = run(capsys, "clinical", "forms", "urinalysis")
    assert code == 2 and "known forms" in err


def test_overdue_lists_visits_and_exits_1_when_there_are_any(demo_db, capsys):
    code, out, _ = run(capsys, "clinical", "overdue", "--db", demo_db, "--json")
    rows = json.loads(out)
    assert code == (1 if rows else 0)
    assert all(r["state"] in ("overdue", "incomplete") for r in rows)


def test_sae_reports_and_queries_list_what_a_monitor_sees(demo_db, capsys):
    code, out, _ = run(
        capsys, "clinical", "sae-reports", "--db", demo_db, "--state", "submitted", "--json"
    )
    assert code in (0, 1) and isinstance(json.loads(out), list)
    code, out, _ = run(capsys, "clinical", "queries", "--db", demo_db, "--status", "open", "--json")
    assert code == 0 and all(q["status"] == "open" for q in json.loads(out))
    code, _, err = run(capsys, "clinical", "queries", "--db", demo_db, "--status", "pending")
    assert code == 2 and err.startswith("error: status")


def test_casebook_and_export_have_no_arm(demo_db, capsys):
    code, out, _ = run(capsys, "clinical", "export-values", "--db", demo_db)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and rows and {"value", "unit", "entered", "entered_unit"} <= set(rows[0])
    subject = rows[0]["subject"]
    code, out, _ = run(capsys, "clinical", "casebook", subject, "--db", demo_db, "--json")
    assert code == 0 and json.loads(out)["subject"]["code"] == subject
    assert "UC-MSC" not in out and "Placebo" not in out
    code, _, err = run(capsys, "clinical", "casebook", "WUH-999", "--db", demo_db)
    assert code == 2 and "WUH-999" in err


def test_simulate_fills_only_an_empty_trial(demo_db, tmp_path, capsys):
    code, _, err = run(capsys, "clinical", "simulate", "--db", demo_db, "--subjects", "2")
    assert code == 2 and "already has subjects" in err
    empty = str(tmp_path / "empty.db")
    assert main(["demo", "--db", empty, "--no-serve", "--subjects", "0"]) == 0
    capsys.readouterr()
    code, out, _ = run(
        capsys, "clinical", "simulate", "--db", empty, "--subjects", "2", "--effect", "1"
    )
    assert code == 0 and out.startswith("simulated 2 screened")
    code, _, err = run(capsys, "clinical", "simulate", "--db", empty, "--effect", "2")
    assert code == 2 and "treatment_effect" in err
