"""Random and truncated input never crashes the new readers: ICTRP XML, CSV and XLSX, ChiCTR
XML and ZIP archives each yield studies or problems, nothing else."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from msctrial.registry.ictrp_read import read_csv, read_xlsx, read_xml
from msctrial.registry.items import Item
from msctrial.registry.reader import read_bytes, read_studies
from tests.registry.ictrp_records import CHICTR_XML, csv_text, msc_rows, write_xlsx, xml_text

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CSV = csv_text(msc_rows()).encode()
XML = xml_text(msc_rows()).encode()
CHICTR = CHICTR_XML.encode()


def _ok(items: list[Item]) -> None:
    for item in items:
        assert (item.study is not None) or (item.problem is not None) or item.skipped
        if item.problem is not None:
            assert item.problem.reason


def _mutate(data: bytes, cut: int, flips: list[tuple[int, int]]) -> bytes:
    out = bytearray(data[: max(0, min(cut, len(data)))])
    for pos, value in flips:
        if out:
            out[pos % len(out)] = value
    return bytes(out)


cuts = st.integers(min_value=0, max_value=1 << 16)
flips = st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(0, 255)), max_size=8)


@FAST
@given(cut=cuts, changes=flips)
def test_a_truncated_or_damaged_ictrp_xml_never_crashes(cut, changes):
    _ok(list(read_xml("x.xml", _mutate(XML, cut, changes))))


@FAST
@given(cut=cuts, changes=flips)
def test_a_truncated_or_damaged_ictrp_csv_never_crashes(cut, changes):
    _ok(list(read_csv("x.csv", _mutate(CSV, cut, changes))))


@FAST
@given(cut=cuts, changes=flips)
def test_a_truncated_or_damaged_chictr_xml_never_crashes(cut, changes):
    _ok(list(read_bytes("c.xml", _mutate(CHICTR, cut, changes))))


@FAST
@given(raw=st.binary(max_size=2048))
def test_random_bytes_never_crash_any_reader(raw):
    for reader in (read_xml, read_csv, read_xlsx):
        _ok(list(reader("r", raw)))
    _ok(list(read_bytes("r", raw, prefilter=True)))
    _ok(list(read_bytes("r", raw, suffix=".csv")))


@FAST
@given(text=st.text(max_size=400))
def test_random_text_in_every_ictrp_field_never_crashes(text):
    rows = msc_rows()[:2]
    for r in rows:
        for key in list(r)[1:]:
            r[key] = text
    _ok(list(read_csv("t.csv", csv_text(rows).encode())))
    _ok(list(read_xml("t.xml", xml_text(rows).encode("utf-8", "surrogatepass"))))


_XLSX: dict[str, bytes] = {}


def _xlsx_bytes(tmp: Path) -> bytes:
    if "x" not in _XLSX:
        _XLSX["x"] = write_xlsx(tmp / "w.xlsx", msc_rows()).read_bytes()
    return _XLSX["x"]


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(cut=cuts, changes=flips)
def test_a_truncated_or_damaged_xlsx_never_crashes(tmp_path_factory, cut, changes):
    data = _xlsx_bytes(tmp_path_factory.mktemp("x"))
    _ok(list(read_xlsx("w.xlsx", _mutate(data, cut, changes))))


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(cut=cuts, changes=flips)
def test_a_truncated_or_damaged_zip_never_crashes(tmp_path_factory, cut, changes):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.xml", CHICTR)
        z.writestr("b.json", '{"protocolSection": {}}')
    path = tmp_path_factory.mktemp("z") / "a.zip"
    path.write_bytes(_mutate(buf.getvalue(), cut, changes))
    _ok(list(read_studies([path])))
    _ok(list(read_studies([path], prefilter=True)))
