"""Streaming studies out of files, pages, folders and ZIP archives; bad records are reported."""

from __future__ import annotations

import tracemalloc
import zipfile
from pathlib import Path

import pytest

from msctrial.registry.reader import may_be_msc, read_bytes, read_studies
from tests.registry.records import dumps, msc_placebo_trial, page, to_legacy, to_xml, v2_study


def _non_msc(nct: str) -> dict:
    return v2_study(nct, title="Tocilizumab for COVID-19", summary="IL-6 blockade", criteria=None,
                    secondary=(), primary=(("Mortality", "Day 28"),))  # fmt: skip


def test_a_page_of_studies_yields_each_study(tmp_path: Path):
    f = tmp_path / "page-0001.json"
    f.write_bytes(
        dumps(page([msc_placebo_trial("NCT09000001"), _non_msc("NCT09000002")], token="abc"))
    )
    items = list(read_studies([f]))
    assert [i.study.trial_id for i in items] == ["NCT09000001", "NCT09000002"]
    assert items[1].file.endswith("page-0001.json#studies[1]")


def test_a_folder_mixes_formats(tmp_path: Path):
    study = msc_placebo_trial("NCT09000003")
    (tmp_path / "a.json").write_bytes(dumps(study))
    (tmp_path / "b.json").write_bytes(dumps(to_legacy(msc_placebo_trial("NCT09000004"))))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.xml").write_text(
        to_xml(msc_placebo_trial("NCT09000005")), encoding="utf-8"
    )
    (tmp_path / "notes.txt").write_text("ignored")
    formats = {i.study.trial_id: i.study.source_format for i in read_studies([tmp_path])}
    assert formats == {
        "NCT09000003": "api_v2",
        "NCT09000004": "legacy_full_studies",
        "NCT09000005": "classic_xml",
    }


def test_a_bulk_zip_of_one_file_per_study_is_read_member_by_member(tmp_path: Path):
    archive = tmp_path / "ctg-studies.json.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("NCT09000006.json", dumps(msc_placebo_trial("NCT09000006")))
        z.writestr("NCT0900xxxx/NCT09000007.xml", to_xml(msc_placebo_trial("NCT09000007")))
        z.writestr("broken.json", b'{"protocolSection": {"identificationModule": ')
    items = list(read_studies([archive]))
    assert [i.study.trial_id for i in items if i.study] == ["NCT09000006", "NCT09000007"]
    [bad] = [i.problem for i in items if i.problem]
    assert bad.file == f"{archive}!broken.json" and "malformed JSON" in bad.reason


def test_one_bad_record_never_stops_the_rest(tmp_path: Path):
    good = tmp_path / "good.json"
    good.write_bytes(dumps(msc_placebo_trial("NCT09000008")))
    cases = {
        "truncated.json": b'{"protocolSection": {"mesenchymal": ',
        "no_id.json": dumps({"protocolSection": {"identificationModule": {"briefTitle": "x"}}}),
        "html.xml": b"<html><body>mesenchymal</body></html>",
        "broken.xml": b"<clinical_study><id_info>",
        "binary.json": b"\x00\x01\x02",
        "empty.json": b"",
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    items = list(read_studies([tmp_path, tmp_path / "missing.json"]))
    assert [i.study.trial_id for i in items if i.study] == ["NCT09000008"]
    problems = {Path(i.problem.file).name: i.problem.reason for i in items if i.problem}
    assert set(problems) == {*cases, "missing.json"}
    assert "malformed JSON" in problems["truncated.json"]
    assert "no NCT id" in problems["no_id.json"]
    assert "not <clinical_study>" in problems["html.xml"]
    assert "malformed XML" in problems["broken.xml"]
    assert "no such file" in problems["missing.json"]


def test_the_prefilter_passes_over_studies_that_cannot_be_msc_without_parsing_them():
    assert may_be_msc(dumps(msc_placebo_trial()))
    assert not may_be_msc(dumps(_non_msc("NCT09000009")))
    # a broken record that cannot be MSC is passed over: it is not parsed at all
    [item] = read_bytes("x.json", b'{"protocolSection": {"tocilizumab": ', prefilter=True)
    assert item.skipped and item.problem is None


def test_reading_a_bulk_archive_keeps_memory_flat_as_studies_grow(tmp_path: Path):
    def peak_for(n: int) -> int:
        archive = tmp_path / f"bulk-{n}.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
            for k in range(n):
                study = (
                    msc_placebo_trial(f"NCT{9100000 + k:08d}")
                    if k % 50 == 0
                    else _non_msc(f"NCT{9100000 + k:08d}")
                )
                z.writestr(f"NCT{9100000 + k:08d}.json", dumps(study))
        tracemalloc.start()
        seen = sum(1 for _ in read_studies([archive], prefilter=True))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert seen == n
        return peak

    small, large = peak_for(200), peak_for(2000)
    assert large < small * 1.5 + 200_000  # ten times the studies, not ten times the memory


class _Unseekable:
    """A write-only stream: zipfile then writes sizes after each member (data descriptors)."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, b: bytes) -> int:
        self.chunks.append(bytes(b))
        return len(b)

    def flush(self) -> None:
        pass


@pytest.mark.parametrize("compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_an_archive_written_as_a_stream_is_read_too(tmp_path: Path, compression):
    stream = _Unseekable()
    with zipfile.ZipFile(stream, "w", compression) as z:  # type: ignore[arg-type]
        for k in range(3):
            with z.open(f"NCT0920000{k}.json", "w") as member:
                member.write(dumps(msc_placebo_trial(f"NCT0920000{k}")))
    archive = tmp_path / "streamed.zip"
    archive.write_bytes(b"".join(stream.chunks))
    ids = [i.study.trial_id for i in read_studies([archive]) if i.study]
    assert ids == ["NCT09200000", "NCT09200001", "NCT09200002"]


def test_a_corrupt_archive_is_one_problem_not_a_crash(tmp_path: Path):
    archive = tmp_path / "bad.zip"
    good = tmp_path / "good.zip"
    with zipfile.ZipFile(good, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("NCT09300001.json", dumps(msc_placebo_trial("NCT09300001")))
    data = good.read_bytes()
    archive.write_bytes(data[:70] + b"\xff" * 20 + data[90:])  # inside the deflated data
    items = list(read_studies([archive]))
    assert len(items) == 1 and items[0].problem is not None
