"""``msctrial registry fetch|load|extract|table1|report`` as a user runs them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from msctrial.cli.main import main
from tests.registry.records import dumps, msc_placebo_trial, to_legacy, v2_study
from tests.registry.test_design import CONTRACT


@pytest.fixture
def run(capsys):  # noqa: ANN001, ANN201
    def run_(*args: object) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main([str(a) for a in args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run_


@pytest.fixture
def records(tmp_path: Path) -> Path:
    folder = tmp_path / "records"
    folder.mkdir()
    (folder / "a.json").write_bytes(dumps(msc_placebo_trial("NCT04371601", dose_text=(
        "umbilical cord mesenchymal stem cells were given at 106/Kg body weight / time, "
        "once every 4 days for a total of 4 times, intravenously"))))  # fmt: skip
    (folder / "b.json").write_bytes(dumps(to_legacy(msc_placebo_trial("NCT09500002"))))
    (folder / "c.json").write_bytes(
        dumps(v2_study("NCT09500003", title="Tocilizumab", summary=None, criteria=None))
    )
    return folder


def test_extract_json_prints_one_contract_object_per_study(run, records):
    code, out, err = run("registry", "extract", records, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert [d["nct_id"] for d in data] == ["NCT04371601", "NCT09500002", "NCT09500003"]
    assert all(set(d) == CONTRACT for d in data)
    first = data[0]
    assert (first["dose_value"], first["dose_unit"], first["schedule_days"]) == (
        1e6,
        "cells/kg",
        [0, 4, 8, 12],
    )
    assert "106/Kg" in first["evidence"]["dose_value"]["text"]
    assert {"rule": "too_many_infusions", "level": "deviation"}.items() <= first["findings"][
        0
    ].items()
    assert data[2]["is_msc_trial"] is False


def test_extract_names_each_unreadable_record_and_exits_1(run, records):
    (records / "broken.json").write_text('{"protocolSection": ')
    code, out, err = run("registry", "extract", records)
    assert code == 1
    assert (
        "NCT04371601: umbilical cord MSCs; 1×10^6 cells/kg/dose; IV ×4, days 0, 4, 8, 12; deviates: too_many_infusions"
        in out
    )
    assert "broken.json: malformed JSON" in err


def test_extract_of_nothing_readable_is_bad_input(run, tmp_path):
    (tmp_path / "x.tsv").write_text("NCT Number\tTitle\n")
    code, _, err = run("registry", "extract", tmp_path / "x.tsv")
    assert code == 2 and "neither JSON nor XML" in err


@pytest.mark.parametrize("fmt", ["md", "csv", "json"])
def test_table1_prints_the_seed_layout_in_each_format(run, records, fmt):
    code, out, err = run("registry", "table1", records, "--format", fmt)
    assert code == 0 and "1 records are not MSC trials" in err
    if fmt == "md":
        assert out.startswith(
            "| Trial | Responsible institution | Source of MSCs | Dose | Route and schedule | Phase |"
        )
        assert "| NCT04371601 |" in out and "NCT09500003" not in out
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        assert [r["trial"] for r in rows] == ["NCT04371601", "NCT09500002"]
        assert (
            rows[0]["dose"] == "1×10^6 cells/kg/dose"
            and rows[0]["guidance"] == "deviates: too_many_infusions"
        )
    else:
        assert [r["trial"] for r in json.loads(out)["rows"]] == ["NCT04371601", "NCT09500002"]


def test_table1_compare_seed_shows_where_the_seed_differs(run, records):
    code, out, _ = run(
        "registry", "table1", records / "a.json", "--format", "json", "--compare-seed"
    )
    diffs = json.loads(out)["seed_differences"]
    assert {
        "trial": "NCT04371601",
        "field": "dose",
        "seed": "1×10^7 cells/kg",
        "record": "1×10^6 cells/kg",
    } in diffs
    code, out, _ = run("registry", "table1", records / "a.json", "--compare-seed")
    assert (
        "Differences from the seed's Table 1" in out
        and "| NCT04371601 | dose | 1×10^7 cells/kg | 1×10^6 cells/kg |" in out
    )


def test_table1_refuses_an_unknown_format(run, records):
    code, _, err = run("registry", "table1", records, "--format", "xlsx")
    assert code == 2 and "format" in err


def test_load_then_report_writes_html_with_svg_figures(run, records, tmp_path):
    db = tmp_path / "store.db"
    (records / "broken.json").write_text('{"protocolSection": {"mesenchymal": ')
    code, out, err = run("registry", "load", records, "--db", db)
    assert code == 1
    assert (
        "read 3 studies: 2 MSC trials stored, 1 not MSC trials, 1 unreadable records skipped" in out
    )
    assert "broken.json" in err
    code, out, err = run("registry", "report", "--out", tmp_path / "report", "--db", db)
    assert code == 0, err
    html = (tmp_path / "report" / "index.html").read_text()
    for name in (
        "country",
        "start_month",
        "phase",
        "status",
        "source",
        "route",
        "dose",
        "administrations",
        "enrollment",
        "guidance",
        "rules",
    ):
        assert f'id="fig-{name}"><svg' in html, name
    assert "NCT04371601" in html and "too_many_infusions" in html


def test_report_on_an_empty_store_says_to_load_first(run, tmp_path):
    code, _, err = run("registry", "report", "--out", tmp_path / "r", "--db", tmp_path / "empty.db")
    assert code == 2 and "registry load" in err


def test_fetch_saves_the_pages_of_a_query(run, registry, tmp_path, monkeypatch):
    state, url = registry
    monkeypatch.setenv("MSCTRIAL_REGISTRY_API_URL", url)
    code, out, err = run(
        "registry",
        "fetch",
        "--cond",
        "covid-19",
        "--intr",
        "mesenchymal",
        "--page-size",
        "2",
        "--out",
        tmp_path / "pages",
    )
    assert code == 0, err
    assert "5 of 5 studies in 3 pages (3 fetched now); complete" in out
    code, out, _ = run("registry", "load", tmp_path / "pages", "--db", tmp_path / "s.db")
    assert code == 0 and "5 MSC trials stored" in out


def test_fetch_without_a_query_is_bad_input(run, tmp_path):
    code, _, err = run("registry", "fetch", "--out", tmp_path)
    assert code == 2 and "--cond" in err


def test_every_registry_command_is_in_the_readme():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for verb in ("fetch", "load", "extract", "table1", "report"):
        assert f"msctrial registry {verb}" in readme, verb
