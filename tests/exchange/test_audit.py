"""Every export is an audit entry: who exported what (format, scope, files, rows) and when."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from msctrial.core.audit import read_trail, verify_chain
from msctrial.core.errors import InvalidInput
from msctrial.exchange import export_fhir, export_odm, export_sdtm, export_values
from msctrial.exchange.service import Exported
from tests.exchange.conftest import actor, site_id

NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def _export(kind: str, session, reader, folder: Path) -> Exported:  # noqa: ANN001
    if kind == "odm":
        return export_odm(session, reader, folder / "study.xml", now=NOW)
    if kind == "sdtm":
        return export_sdtm(session, reader, folder / "sdtm", now=NOW)
    if kind == "fhir":
        return export_fhir(session, reader, folder / "bundle.json", now=NOW)
    return export_values(session, reader, folder / "v.parquet", file_format="parquet", now=NOW)


def _entry(session, record_id: int) -> dict:  # noqa: ANN001
    entries = read_trail(session, actor("admin"), entity="export_record", entity_id=str(record_id))
    assert len(entries) == 1
    return entries[0]


@pytest.mark.parametrize("kind", ["odm", "sdtm", "fhir", "values"])
def test_each_export_appends_one_audit_entry_naming_who_what_and_how_many(
    kind,
    any_session,
    tmp_path,  # noqa: ANN001
) -> None:
    reader = actor("monitor")
    result = _export(kind, any_session, reader, tmp_path)
    assert result.record_id is not None
    entry = _entry(any_session, result.record_id)
    changes = {k: new for k, (_, new) in entry["changes"].items()}
    assert entry["actor"] == reader.audit_name and entry["action"] == "create"
    assert changes["kind"] == kind and changes["scope"] == "all sites"
    assert changes["blinded"] is True
    assert changes["files"] == [p.name for p in result.files]
    assert changes["rows"] == result.rows > 0
    assert changes["subjects"] == result.subjects > 0
    assert changes["exported_at"].startswith("2026-01-02T03:04:05")
    assert verify_chain(any_session).ok


def test_a_site_users_export_is_recorded_with_their_site_and_read_by_its_staff(
    any_session,
    tmp_path,  # noqa: ANN001
) -> None:
    wuh = site_id(any_session, "WUH")
    reader = actor("pharmacist", site_id=wuh)
    result = export_values(any_session, reader, tmp_path / "v.csv", layout="wide")
    entry = _entry(any_session, result.record_id)
    assert entry["site_id"] == wuh
    assert entry["changes"]["scope"][1] == "WUH"
    assert entry["changes"]["blinded"][1] is False
    assert entry["changes"]["options"][1] == {"format": "csv", "layout": "wide", "site": None}
    seen = read_trail(any_session, actor("investigator", site_id=wuh), entity="export_record")
    assert result.record_id in {int(e["entity_id"]) for e in seen}


def test_a_refused_export_writes_no_entry_and_no_file(session, tmp_path) -> None:  # noqa: ANN001
    before = len(read_trail(session, actor("admin"), entity="export_record", limit=1000))
    with pytest.raises(InvalidInput):
        export_values(session, actor("monitor"), tmp_path / "v.csv", site_code="NOPE")
    after = len(read_trail(session, actor("admin"), entity="export_record", limit=1000))
    assert after == before
    assert list(tmp_path.iterdir()) == []


def test_the_command_line_export_is_recorded_as_the_terminal_operator(
    cli,
    trial_url,
    tmp_path,
    monkeypatch,  # noqa: ANN001
) -> None:
    monkeypatch.setenv("MSCTRIAL_OPERATOR", "ada")
    result = cli("export", "fhir", "--db", trial_url, "--out", tmp_path / "b.json")
    assert result.code == 0, result.err
    record_id = int(result.out.rsplit("audit record ", 1)[1].split()[0])
    from msctrial.core.db import make_engine
    from msctrial.core.session import make_sessionmaker

    engine = make_engine(trial_url)
    with make_sessionmaker(engine)() as s:
        assert _entry(s, record_id)["actor"] == "cli:ada"
    engine.dispose()
