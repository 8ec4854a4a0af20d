"""The chunked XPORT v5 writer: pyreadstat reads back what it wrote, chunk after chunk, and the
streamed SDTM export refuses before it writes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from msctrial.core.errors import InvalidInput
from msctrial.exchange import sdtm, sdtm_export
from msctrial.exchange.sdtm import domains
from msctrial.exchange.sdtm_export import export_sdtm
from msctrial.exchange.source import gather
from msctrial.exchange.xport import Column, XportWriter, ibm_doubles
from msctrial.exchange.xpt import frame, read_xpt
from tests.exchange.conftest import actor

WHEN = dt.datetime(2026, 1, 2, 3, 4, 5)
NUMBERS = [0.0, -0.0, 1.0, -1.0, 0.1, 7.40, 1e-9, 123456.789, -2.5e30, 3.14159265358979, 1e70]


def test_numbers_are_the_bytes_pyreadstats_own_writer_gives(tmp_path: Path) -> None:
    reference = tmp_path / "reference.xpt"
    pyreadstat.write_xport(pd.DataFrame({"V": NUMBERS}), str(reference), file_format_version=5)
    body = reference.read_bytes()
    ours = ibm_doubles(np.array(NUMBERS)).tobytes()
    assert ours in body  # the observations, byte for byte


def test_a_missing_number_is_sas_missing_and_an_out_of_range_one_is_refused() -> None:
    assert ibm_doubles(np.array([np.nan])).tobytes() == b"\x2e" + b"\0" * 7
    with pytest.raises(ValueError, match="IBM double"):
        ibm_doubles(np.array([1e76]))


def test_rows_written_in_chunks_read_back_unchanged(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    columns = [Column("USUBJID", "Unique Subject Identifier", False, 9),
               Column("LBSTRESN", "Numeric Result", True, 8), Column("X", "x", False, 1)]  # fmt: skip
    rows = [{"USUBJID": f"S-{n:07d}", "LBSTRESN": None if n % 5 == 0 else float(v),
             "X": "" if n % 2 else "Y"} for n, v in enumerate(rng.normal(10, 3, 1001))]  # fmt: skip
    path = tmp_path / "lb.xpt"
    with path.open("wb") as handle:
        writer = XportWriter(handle, "LB", "Laboratory Test Results", columns, WHEN)
        for start in range(0, len(rows), 97):  # chunks that end mid-record
            writer.write(rows[start : start + 97])
        writer.close()
    assert path.stat().st_size % 80 == 0
    back, labels = read_xpt(path)
    assert labels == {c.name: c.label for c in columns}
    assert list(back["USUBJID"]) == [r["USUBJID"] for r in rows]
    assert list(back["X"]) == [r["X"] for r in rows]
    for got, row in zip(back["LBSTRESN"], rows, strict=True):
        assert (pd.isna(got) and row["LBSTRESN"] is None) or got == row["LBSTRESN"]
    _, meta = pyreadstat.read_xport(str(path), metadataonly=True)
    assert meta.table_name == "LB" and meta.file_label == "Laboratory Test Results"


def test_a_value_longer_than_its_column_is_refused_not_cut(tmp_path: Path) -> None:
    with (tmp_path / "x.xpt").open("wb") as handle:
        writer = XportWriter(handle, "X", "x", [Column("A", "a", False, 3)], WHEN)
        with pytest.raises(ValueError, match="longer than its 3 bytes"):
            writer.write([{"A": "four"}])


def test_a_streamed_export_in_small_chunks_reads_back_as_the_domains(
    session, tmp_path: Path, monkeypatch
) -> None:  # noqa: ANN001
    monkeypatch.setattr(sdtm_export, "CHUNK", 7)
    seen = []
    export_sdtm(session, actor("dsmb"), tmp_path / "sdtm", progress=seen.append)
    for domain in domains(gather(session, actor("dsmb"))):
        back, _ = read_xpt(tmp_path / "sdtm" / f"{domain.name.lower()}.xpt")
        expected = frame(domain)
        assert len(back) == len(expected) > 0, domain.name
        pd.testing.assert_frame_equal(back, expected, check_dtype=False)
    writing = [p for p in seen if p.stage == "writing"]
    assert writing and all(0 <= (p.percent or 0) <= 100 for p in writing)
    assert seen[-1].stage == "done" and seen[-1].percent == 100


def test_a_value_xport_cannot_hold_is_refused_before_any_file_is_written(
    session, tmp_path: Path, monkeypatch
) -> None:  # noqa: ANN001
    monkeypatch.setattr(sdtm, "test_name", lambda label: f"{label} – µ")
    out = tmp_path / "sdtm"
    with pytest.raises(InvalidInput) as caught:
        export_sdtm(session, actor("monitor"), out)
    assert "not ASCII" in str(caught.value) and caught.value.field.endswith("TEST")
    assert not out.exists() or list(out.iterdir()) == []
