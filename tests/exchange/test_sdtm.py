"""SDTM export: XPORT v5 files that pyreadstat reads back unchanged, described by a Define-XML
2.1 that CDISC's XSD (as odmlib ships it) accepts."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from lxml import etree

from msctrial.clinical.casebook.listings import export_values_csv
from msctrial.core.errors import InvalidInput
from msctrial.exchange.define import DEF_NS, ODM_NS
from msctrial.exchange.sdtm import (
    LB_FORMS,
    MASKED,
    Domain,
    Variable,
    dm,
    domains,
    ex,
    reference_range,
)
from msctrial.exchange.sdtm_export import export_sdtm
from msctrial.exchange.source import gather
from msctrial.exchange.validate import schema_errors
from msctrial.exchange.xpt import check_limits, frame, read_xpt
from tests.exchange.conftest import actor

NS = {"odm": ODM_NS, "def": DEF_NS}


@pytest.fixture(params=["monitor", "dsmb"])
def written(request, session, tmp_path):  # noqa: ANN001, ANN201
    """(reader's data, folder) after an XPT export as a blinded monitor and as the DSMB."""
    reader = actor(request.param)
    export_sdtm(session, reader, tmp_path / "sdtm")
    return gather(session, reader), tmp_path / "sdtm"


def test_every_xpt_file_reads_back_with_pyreadstat_row_by_row(written) -> None:  # noqa: ANN001
    data, folder = written
    for domain in domains(data):
        back, labels = read_xpt(folder / f"{domain.name.lower()}.xpt")
        expected = frame(domain)
        assert len(back) == len(expected) == len(domain.rows)
        assert labels == {v.name: v.label for v in domain.variables}
        for n in range(len(expected)):
            for var in domain.variables:
                got, want = back.at[n, var.name], expected.at[n, var.name]
                if var.numeric:
                    assert (pd.isna(got) and pd.isna(want)) or got == pytest.approx(want)
                else:
                    assert got == want, (domain.name, n, var.name)


def test_define_xml_is_valid_define_2_1_and_names_each_file(written) -> None:  # noqa: ANN001
    data, folder = written
    document = (folder / "define.xml").read_bytes()
    assert schema_errors(document, "define-2.1") == []
    root = etree.fromstring(document)
    hrefs = [
        leaf.get("{http://www.w3.org/1999/xlink}href")
        for leaf in root.iterfind(".//odm:ItemGroupDef/def:leaf", NS)
    ]
    assert hrefs == ["dm.xpt", "ex.xpt", "ae.xpt", "lb.xpt", "vs.xpt"]
    assert all((folder / h).is_file() for h in hrefs)


def test_define_lengths_hold_the_longest_value_written(written) -> None:  # noqa: ANN001
    data, folder = written
    root = etree.fromstring((folder / "define.xml").read_bytes())
    back, _ = read_xpt(folder / "ae.xpt")
    item = root.find(".//odm:ItemDef[@OID='IT.AE.AETERM']", NS)
    assert int(item.get("Length")) == back["AETERM"].str.len().max()


def test_the_define_schema_refuses_a_dataset_without_its_structure(written) -> None:  # noqa: ANN001
    _, folder = written
    root = etree.fromstring((folder / "define.xml").read_bytes())
    group = root.find(".//odm:ItemGroupDef", NS)
    del group.attrib[f"{{{DEF_NS}}}Structure"]
    errors = schema_errors(etree.tostring(root), "define-2.1")
    assert errors and "Structure" in errors[0]


def test_dm_masks_the_arm_for_a_blinded_reader_and_shows_it_to_the_dsmb(session) -> None:
    blinded = dm(gather(session, actor("monitor")))
    unblinded = dm(gather(session, actor("dsmb")))
    assert {r["ARMCD"] for r in blinded.rows} == {r["ARM"] for r in blinded.rows} == {MASKED}
    arms = set(gather(session, actor("dsmb"), metadata_only=True).study.arms)
    assert {r["ARM"] for r in unblinded.rows} <= arms
    assert len(unblinded.rows) == len(blinded.rows) > 0


def test_ex_has_one_record_per_infusion_and_the_lot_only_when_unblinded(session) -> None:
    blinded = ex(gather(session, actor("monitor")))
    data = gather(session, actor("dsmb"))
    unblinded = ex(data)
    assert len(blinded.rows) == len(unblinded.rows) == len(data.infusions) > 0
    assert "EXLOT" not in {v.name for v in blinded.variables}
    assert all(r["EXLOT"] and r["EXVAMTU"] == "mL" for r in unblinded.rows)


def test_lb_holds_every_numeric_laboratory_value(session) -> None:
    reader = actor("monitor")
    rows = csv.DictReader(io.StringIO(export_values_csv(session, reader)))
    expected = sum(1 for r in rows if r["form"] in LB_FORMS and r["value"])
    lb = next(d for d in domains(gather(session, reader)) if d.name == "LB")
    assert len(lb.rows) == expected > 0
    assert all(len(r["LBTESTCD"]) <= 8 and r["LBTEST"].isascii() for r in lb.rows)


def _domain(name: str = "XX", label: str = "Label", value: str = "ok") -> Domain:
    return Domain("XX", "Test", "FINDINGS", "One record", (Variable(name, label),),
                  ({name: value},))  # fmt: skip


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        (_domain(name="TOOLONGNM"), "XX.TOOLONGNM: a variable name has at most 8"),
        (_domain(label="L" * 41), "XX.XX: the label"),
        (_domain(value="TNF-α"), "XX.XX: row 1 holds 'TNF-α', which is not ASCII"),
        (_domain(value="x" * 201), "XX.XX: row 1 is 201 bytes"),
    ],
)
def test_what_xport_v5_cannot_hold_is_refused_naming_the_variable(
    domain: Domain, message: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_limits(domain)
    assert caught.value.message.startswith(message)


def test_the_csv_format_writes_csv_files_that_define_names(session, tmp_path) -> None:  # noqa: ANN001
    export_sdtm(session, actor("monitor"), tmp_path, file_format="csv")
    dm_csv = pd.read_csv(tmp_path / "dm.csv", dtype=str, keep_default_na=False)
    assert set(dm_csv["ARMCD"]) == {MASKED}
    assert b'xlink:href="dm.csv"' in (tmp_path / "define.xml").read_bytes()


def test_the_command_refuses_an_unknown_format_naming_it(cli, trial_url, tmp_path) -> None:  # noqa: ANN001
    result = cli("export", "sdtm", "--db", trial_url, "--out", tmp_path, "--format", "sas")
    assert result.code == 2
    assert "format: 'sas'" in result.err
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.5–9.5", (3.5, 9.5)),
        ("≈ 190–1,100", (190.0, 1100.0)),
        ("< 10", (None, 10.0)),
        ("< 0.5 FEU", (None, 0.5)),
        ("M 30–400; F 15–150", None),  # depends on sex: not one range
        (None, None),
    ],
)
def test_a_reference_range_is_read_as_forms_yaml_writes_it(text, expected) -> None:  # noqa: ANN001
    assert reference_range(text) == expected


def test_lb_carries_each_tests_reference_range(session) -> None:  # noqa: ANN001
    lb = next(d for d in domains(gather(session, actor("monitor"))) if d.name == "LB")
    wbc = [r for r in lb.rows if r["LBTESTCD"] == "WBC"]
    assert wbc
    # forms.yaml: wbc reference 3.5–9.5 × 10^9/L (CLINICAL_FACTS §4.2)
    assert {(r["LBORNRLO"], r["LBORNRHI"], r["LBSTNRLO"], r["LBSTNRHI"]) for r in wbc} == {
        ("3.5", "9.5", 3.5, 9.5)
    }
