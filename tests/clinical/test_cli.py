"""``msctrial clinical``: the severity contract and the randomisation set-up."""

from __future__ import annotations

import json

import pytest

from msctrial.cli.main import main


def run(capsys, *args):  # noqa: ANN001, ANN201
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def write(tmp_path, data, name="obs.json"):  # noqa: ANN001, ANN201
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return str(path)


def test_severity_prints_the_contract(tmp_path, capsys):
    path = write(
        tmp_path,
        {
            "pao2_mmhg": 87.5,
            "fio2": 0.25,
            "altitude_m": 1890,
            "barometric_pressure_mmhg": 608,
            "pneumonia_on_imaging": True,
        },
    )
    code, out, _ = run(capsys, "clinical", "severity", "--input", path, "--json")
    data = json.loads(out)
    assert code == 0
    assert set(data) == {"severity", "pf_ratio", "pf_ratio_corrected", "reasons", "ards_berlin"}
    assert (data["severity"], data["pf_ratio"], data["pf_ratio_corrected"]) == (
        "severe",
        350.0,
        280.0,
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"fio2": 21, "pao2_mmhg": 60}, "fio2"),
        ({"spo2_rest_pct": 150}, "spo2_rest_pct"),
        ({"spo2": 90}, "spo2"),
        ("{not json", "input"),
        ([1, 2], "input"),
    ],
)
def test_bad_input_exits_2_naming_the_field(tmp_path, capsys, data, field):
    code, out, err = run(capsys, "clinical", "severity", "--input", write(tmp_path, data), "--json")
    assert code == 2 and out == ""
    assert err.startswith(f"error: {field}")


def test_a_missing_file_exits_2(tmp_path, capsys):
    code, _, err = run(capsys, "clinical", "severity", "--input", str(tmp_path / "no.json"))
    assert code == 2 and "does not exist" in err


def test_randomisation_setup_never_prints_the_seed(tmp_path, capsys):
    db = str(tmp_path / "t.db")
    assert main(["demo", "--db", db, "--no-serve", "--subjects", "0"]) == 0
    seed = write(tmp_path, "a-sealed-envelope-seed-42", "seed.txt")
    capsys.readouterr()
    code, out, _ = run(
        capsys,
        "clinical",
        "randomisation-setup",
        "--db",
        db,
        "--seed-file",
        seed,
        "--per-stratum",
        "24",
    )
    assert code in (0, 2)
    if code == 2:  # the demo's clinical step already made the list
        return
    assert "concealed allocations" in out and "a-sealed-envelope-seed-42" not in out
    code, out, _ = run(capsys, "clinical", "randomisation-status", "--db", db, "--json")
    assert code == 0 and "UC-MSC" not in out and "seed" not in out
