"""Tidy value exports: long and wide, CSV and Parquet, streamed; scoped and blinded as the
casebook listing is, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from msctrial.clinical.casebook.listings import export_values_csv
from msctrial.clinical.subjects.tables import Subject
from msctrial.core.errors import InvalidInput, PermissionDenied
from msctrial.core.tables import Site
from msctrial.exchange import export_values
from msctrial.exchange.source import study_meta
from msctrial.exchange.tidy import wide_columns
from msctrial.exchange.values import value_rows
from tests.exchange.conftest import actor, secrets_of_the_allocation, site_id

KINDS = [(f, lay) for f in ("csv", "parquet") for lay in ("long", "wide")]


def _read(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pq.read_table(path).to_pandas()
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _all(session, reader, folder: Path) -> dict[str, bytes]:  # noqa: ANN001
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for fmt, layout in KINDS:
        path = folder / f"values_{layout}.{fmt}"
        export_values(session, reader, path, file_format=fmt, layout=layout)
        # Parquet bytes are compressed: search its values, as text.
        out[path.name] = (
            _read(path).to_csv(index=False).encode() if fmt == "parquet" else path.read_bytes()
        )
    return out


def test_the_long_csv_holds_the_casebook_listings_values(session, tmp_path) -> None:  # noqa: ANN001
    reader = actor("monitor")
    export_values(session, reader, tmp_path / "v.csv")
    ours = {
        (r["subject"], r["visit"], r["form"], r["item"], r["value"], r["text"])
        for r in csv.DictReader((tmp_path / "v.csv").open())
    }
    listing = {
        (r["subject"], r["visit"], r["form"], r["item"], r["value"], r["text"])
        for r in csv.DictReader(io.StringIO(export_values_csv(session, reader)))
    }
    assert ours == listing and len(ours) > 100


def test_the_wide_layout_has_a_row_per_subject_visit_and_a_column_per_item(
    session,
    tmp_path,  # noqa: ANN001
) -> None:
    reader = actor("monitor")
    export_values(session, reader, tmp_path / "long.csv")
    export_values(session, reader, tmp_path / "wide.csv", layout="wide")
    long, wide = _read(tmp_path / "long.csv"), _read(tmp_path / "wide.csv")
    columns = [name for name, _ in wide_columns(study_meta(session))]
    assert list(wide.columns) == ["subject", "site", "visit", "study_day", "visit_date", *columns]
    assert len(wide) == len(long[["subject", "visit"]].drop_duplicates())
    assert not wide.duplicated(["subject", "visit"]).any()
    for row in long.sample(40, random_state=1).itertuples():
        cell = wide.loc[(wide.subject == row.subject) & (wide.visit == row.visit)]
        assert cell[f"{row.form}.{row.item}"].item() == (row.value or row.text)


def test_parquet_holds_the_same_rows_as_csv_with_typed_columns(session, tmp_path) -> None:  # noqa: ANN001
    reader = actor("monitor")
    for layout in ("long", "wide"):
        export_values(session, reader, tmp_path / f"{layout}.csv", layout=layout)
        export_values(
            session, reader, tmp_path / f"{layout}.parquet", file_format="parquet", layout=layout
        )
        table = pq.read_table(tmp_path / f"{layout}.parquet")
        assert str(table.schema.field("study_day").type) == "int64"
        assert str(table.schema.field("visit_date").type) == "date32[day]"
        from_csv = pd.read_csv(tmp_path / f"{layout}.csv")
        from_parquet = table.to_pandas()
        assert len(from_parquet) == len(from_csv)
        pd.testing.assert_series_equal(from_parquet["subject"], from_csv["subject"])
    long = pq.read_table(tmp_path / "long.parquet")
    assert str(long.schema.field("value").type) == "double"
    assert str(long.schema.field("derived").type) == "bool"


def test_rows_stream_in_chunks_of_the_size_asked(session) -> None:  # noqa: ANN001
    rows = value_rows(session, None, chunk=7)
    first = [next(rows) for _ in range(3)]
    assert len(first[0]) == 16
    assert sum(1 for _ in rows) + 3 == len(list(value_rows(session, None)))


def test_no_blinded_readers_value_export_holds_an_allocation_secret(any_session, tmp_path) -> None:  # noqa: ANN001
    secrets = secrets_of_the_allocation(any_session)
    wuh = site_id(any_session, "WUH")
    for n, role in enumerate(("monitor", "statistician", "admin", "safety", "investigator")):
        reader = actor(role, site_id=wuh if role == "investigator" else None)
        files = _all(any_session, reader, tmp_path / str(n))
        leaks = [(f, s) for f, body in files.items() for s in secrets if s.lower().encode() in body.lower()]  # fmt: skip
        assert leaks == [], role


def test_a_site_users_value_exports_hold_only_their_sites_subjects(any_session, tmp_path) -> None:  # noqa: ANN001
    wuh = site_id(any_session, "WUH")
    others = set(
        any_session.scalars(
            select(Subject.subject_code).join(Site, Site.id == Subject.site_id).where(Site.code != "WUH")
        )
    )  # fmt: skip
    assert others
    for reader in (actor("investigator", site_id=wuh), actor("pharmacist", site_id=wuh)):
        for fmt, layout in KINDS:
            path = tmp_path / f"{reader.grants[0].role}_{layout}.{fmt}"
            export_values(any_session, reader, path, file_format=fmt, layout=layout)
            frame = _read(path)
            assert set(frame["site"]) == {"WUH"}
            assert not set(frame["subject"]) & others


def test_the_site_option_narrows_a_trial_wide_export_and_refuses_others(
    any_session,
    tmp_path,  # noqa: ANN001
) -> None:
    result = export_values(any_session, actor("monitor"), tmp_path / "b.csv", site_code="bjs")
    assert set(_read(tmp_path / "b.csv")["site"]) == {"BJS"} and result.subjects > 0
    wuh = site_id(any_session, "WUH")
    with pytest.raises(PermissionDenied, match="site BJS"):
        export_values(
            any_session, actor("investigator", site_id=wuh), tmp_path / "x.csv", site_code="BJS"
        )
    with pytest.raises(InvalidInput, match="no site XYZ"):
        export_values(any_session, actor("monitor"), tmp_path / "x.csv", site_code="XYZ")
    assert not (tmp_path / "x.csv").exists()
    assert list(tmp_path.glob(".*partial")) == []


@pytest.mark.parametrize(
    ("options", "field"),
    [({"file_format": "xlsx"}, "format"), ({"layout": "tall"}, "layout")],
)
def test_an_unknown_format_or_layout_is_refused(session, tmp_path, options, field) -> None:  # noqa: ANN001
    with pytest.raises(InvalidInput) as err:
        export_values(session, actor("monitor"), tmp_path / "v", **options)
    assert err.value.field == field


def test_the_command_exports_values_as_a_blinded_monitor_by_default(
    cli,
    trial_url,
    tmp_path,  # noqa: ANN001
) -> None:
    out = tmp_path / "wide.parquet"
    result = cli(
        "export", "values", "--db", trial_url, "--out", out, "--format", "parquet",
        "--layout", "wide", "--site", "WUH",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "(blinded)" in result.out and "audit record" in result.out
    assert set(_read(out)["site"]) == {"WUH"}
