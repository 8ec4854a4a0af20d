"""Inputs that would crash the registry readers or exhaust memory: each is one ``error:`` line
and exit 2 (1 for a damaged archive, naming what it could read), with nothing written."""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from msctrial.cli.main import main
from msctrial.registry.limits import Inflater, TooLarge, inflate
from msctrial.registry.reader import read_studies
from tests.registry.records import dumps, msc_placebo_trial


@pytest.fixture
def run(capsys):  # noqa: ANN001, ANN201
    def run_(*args: object) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main([str(a) for a in args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run_


def _bomb(path: Path, *, declared: int = 1000, inflated: int = 64 << 20) -> Path:
    """A one-member ZIP whose headers say ``declared`` bytes but whose data inflate to
    ``inflated`` bytes of '{' (a record's first byte, so nothing is skipped early)."""
    z = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = z.compress(b"{" + b" " * (inflated - 1)) + z.flush()
    name = b"NCT09999999.json"
    crc = 0
    local = struct.pack(
        "<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(data), declared, len(name), 0
    )
    central = struct.pack(
        "<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, len(data), declared,
        len(name), 0, 0, 0, 0, 0, 0,
    )  # fmt: skip
    offset = len(local) + len(name) + len(data)
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, len(central) + len(name), offset, 0)
    path.write_bytes(local + name + data + central + name + end)
    return path


def test_inflation_stops_at_its_limit_however_small_the_input():
    bomb = zlib.compress(b"\0" * (32 << 20))[2:-4]  # raw deflate
    with pytest.raises(TooLarge, match=r"inflates past 1,048,576 bytes"):
        inflate(bomb, 1 << 20)
    z = Inflater(100)
    with pytest.raises(TooLarge, match=r"inflates past 100 bytes"):
        z.feed(bomb)
    assert z.produced <= 101


@pytest.mark.parametrize("command", ["load", "extract"])
def test_a_zip_whose_header_understates_a_member_never_inflates_past_it(run, tmp_path, command):
    archive = _bomb(tmp_path / "bomb.zip")
    db = ["--db", tmp_path / "s.db"] if command == "load" else []
    code, out, err = run("registry", command, archive, *db)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and "inflates past its declared 1,000 bytes" in err
    assert not (tmp_path / "s.db").exists()


def test_the_prefilter_path_is_bounded_too(tmp_path):
    archive = _bomb(tmp_path / "bomb.zip")
    [item] = list(read_studies([archive], prefilter=True))
    assert item.problem is not None and "zip bomb" in item.problem.reason


def test_a_member_declared_larger_than_any_record_is_not_inflated(tmp_path):
    archive = _bomb(tmp_path / "big.zip", declared=3 << 30, inflated=1024)
    [item] = list(read_studies([archive]))
    assert "larger than any registry record" in item.problem.reason


def test_an_archive_past_its_total_cap_is_damaged_and_stops(tmp_path, monkeypatch):
    monkeypatch.setenv("MSCTRIAL_REGISTRY_ARCHIVE_BYTES", "20000")
    archive = tmp_path / "many.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for k in range(10):
            z.writestr(f"NCT0930000{k}.json", dumps(msc_placebo_trial(f"NCT0930000{k}")))
    items = list(read_studies([archive]))
    assert items[-1].problem.fatal and "inflates past 20,000 bytes" in items[-1].problem.reason
    assert 0 < sum(1 for i in items if i.study) < 10


def _two_member_zip(path: Path) -> bytes:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for nct in ("NCT09300001", "NCT09300002"):
            z.writestr(f"{nct}.json", dumps(msc_placebo_trial(nct)))
    return path.read_bytes()


def test_a_truncated_zip_is_exit_1_naming_the_members_it_read_and_stores_nothing(run, tmp_path):
    data = _two_member_zip(tmp_path / "good.zip")
    second = data.index(b"PK\x03\x04", 4)
    (tmp_path / "cut.zip").write_bytes(data[: second + 60])
    db = tmp_path / "s.db"
    code, _, err = run("registry", "load", tmp_path / "cut.zip", "--db", db)
    assert code == 1
    [line] = err.strip().splitlines()
    assert line.startswith("error: ") and "damaged ZIP archive" in line
    assert "1 members read before it (last: NCT09300001.json)" in line
    assert "nothing stored" in line and not db.exists()
    code, out, err = run("registry", "extract", tmp_path / "cut.zip")
    assert code == 1 and "NCT09300001" in out and "damaged ZIP archive" in err


def test_a_corrupt_zip_is_an_error_not_zero_studies(run, tmp_path):
    (tmp_path / "junk.zip").write_bytes(b"PK\x03\x04" + b"\xff" * 200)
    code, out, err = run("registry", "load", tmp_path / "junk.zip", "--db", tmp_path / "s.db")
    assert code == 2 and err.startswith("error: ") and "0 studies" not in out
    (tmp_path / "zero.zip").write_bytes(b"not a zip at all")
    code, _, err = run("registry", "extract", tmp_path / "zero.zip")
    assert code == 2 and err.startswith("error: ")


def test_a_damaged_archive_leaves_an_existing_store_as_it_was(run, tmp_path):
    db = tmp_path / "s.db"
    data = _two_member_zip(tmp_path / "good.zip")
    assert run("registry", "load", tmp_path / "good.zip", "--db", db)[0] == 0
    (tmp_path / "cut.zip").write_bytes(data[: data.index(b"PK\x03\x04", 4) + 60])
    assert run("registry", "load", tmp_path / "cut.zip", "--db", db)[0] == 1
    with create_engine(f"sqlite:///{db}").connect() as conn:
        assert conn.execute(text("select count(*) from registry_load")).scalar() == 1
        assert conn.execute(text("select count(*) from registry_study")).scalar() == 2


@pytest.mark.parametrize("command", ["load", "extract"])
def test_dev_zero_is_read_with_a_cap_not_its_reported_size(run, tmp_path, command):
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero on this system")
    db = ["--db", tmp_path / "s.db"] if command == "load" else []
    code, out, err = run("registry", command, "/dev/zero", *db)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert err.startswith("error: /dev/zero: binary data")
    assert not (tmp_path / "s.db").exists()


def test_a_huge_file_is_refused_at_the_cap(run, tmp_path, monkeypatch):
    monkeypatch.setenv("MSCTRIAL_REGISTRY_FILE_BYTES", "1000")
    (tmp_path / "big.json").write_text("[" + " " * 5000 + "]")
    code, _, err = run("registry", "extract", tmp_path / "big.json")
    assert code == 2 and "more than 1,000 bytes" in err


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("deep.json", "[" * 100_000 + "]" * 100_000),
        ("deep.xml", "<a>" * 100_000 + "</a>" * 100_000),
        ("bomb.xml", '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
                     '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><x>&b;</x>'),
        ("digits.json", '{"protocolSection": {"identificationModule": {"nctId": "NCT09999998", "briefTitle": "MSCs"}, '
                        '"designModule": {"enrollmentInfo": {"count": ' + "9" * 10_001 + "}}}}"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("command", ["load", "extract"])
def test_nested_entity_laden_or_huge_number_input_is_one_error_line(
    run, tmp_path, name, body, command
):
    path = tmp_path / name
    path.write_text(body)
    db = ["--db", tmp_path / "s.db"] if command == "load" else []
    code, out, err = run("registry", command, path, *db)
    assert code == 2 and len(err.strip().splitlines()) == 1 and err.startswith("error: ")
    assert "Traceback" not in err and not (tmp_path / "s.db").exists()
    if command == "extract":
        assert out == ""
