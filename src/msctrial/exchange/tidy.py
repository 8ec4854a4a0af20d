"""Tidy tables of form values, written as they stream: CSV rows or Parquet row groups.

Two layouts. *Long*: one row per value (``values.LONG_COLUMNS``). *Wide*: one row per subject
and visit, one column per item of every form the protocol's visits use, named
``form.item`` and known before the first row from the form definitions, so the file's
header (or Parquet schema) is written first and rows follow in batches. A value whose form or
item the definitions do not hold appears in the long layout only.

Nothing here holds more than one batch; a file is written under a temporary name and handed
back for the caller to put in place once the export is recorded.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from msctrial.exchange.model import StudyMeta
from msctrial.exchange.values import LONG_COLUMNS

FORMATS = ("csv", "parquet")
LAYOUTS = ("long", "wide")
WIDE_KEYS = ("subject", "site", "visit", "study_day", "visit_date")
# Rows per Parquet row group (and per CSV write): large enough for columnar compression,
# small enough that one batch of Python tuples stays a few tens of megabytes.
BATCH = 20_000

LONG_TYPES = (
    "str", "str", "str", "int", "date", "str", "str", "float", "str", "str", "float", "str",
    "str", "bool", "int", "int",
)  # fmt: skip
KEY_TYPES = ("str", "str", "str", "int", "date")


@dataclass(frozen=True)
class Table:
    """A table's columns and their types (str, float, int, bool, date), and its rows."""

    columns: tuple[str, ...]
    types: tuple[str, ...]
    rows: Iterable[tuple[Any, ...]]


def long_table(rows: Iterable[tuple[Any, ...]]) -> Table:
    return Table(LONG_COLUMNS, LONG_TYPES, rows)


def wide_columns(study: StudyMeta) -> tuple[tuple[str, str], ...]:
    """``form.item`` and its type for every item of the forms the schedule uses."""
    return tuple(
        (f"{form.name}.{item.name}", "float" if item.kind == "number" else "str")
        for form in study.forms
        for item in form.items
    )


def wide_table(study: StudyMeta, rows: Iterable[tuple[Any, ...]]) -> Table:
    columns = wide_columns(study)
    names = tuple(name for name, _ in columns)
    types = tuple(kind for _, kind in columns)
    return Table(WIDE_KEYS + names, KEY_TYPES + types, _pivot(rows, names))


def _pivot(rows: Iterable[tuple[Any, ...]], names: tuple[str, ...]) -> Iterator[tuple[Any, ...]]:
    """One row per consecutive run of long rows of one subject's visit."""
    where = {name: n for n, name in enumerate(names)}
    key: tuple[Any, ...] | None = None
    cells: list[Any] = []
    for row in rows:
        if key is None or (row[0], row[2]) != (key[0], key[2]):
            if key is not None:
                yield key + tuple(cells)
            key, cells = row[:5], [None] * len(names)
        n = where.get(f"{row[5]}.{row[6]}")
        if n is not None:
            cells[n] = row[7] if row[7] is not None else row[9]
    if key is not None:
        yield key + tuple(cells)


def write_csv(table: Table, path: Path) -> int:
    """``table`` as CSV at ``path``; the number of data rows."""
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(table.columns)
        rows = iter(table.rows)
        while batch := list(islice(rows, BATCH)):
            writer.writerows(batch)
            count += len(batch)
    return count


def _arrow_type(kind: str) -> Any:
    import pyarrow as pa

    return {
        "str": pa.string(),
        "float": pa.float64(),
        "int": pa.int64(),
        "bool": pa.bool_(),
        "date": pa.date32(),
    }[kind]


def _cell(kind: str, value: Any) -> Any:
    """A cell as its Parquet column wants it (a wide cell of a text item may hold a number)."""
    if value is None:
        return None
    if kind == "str" and not isinstance(value, str):
        return repr(value) if isinstance(value, float) else str(value)
    if kind == "date" and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def write_parquet(table: Table, path: Path) -> int:
    """``table`` as Parquet at ``path``, one row group per batch; the number of rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema(
        [(c, _arrow_type(k)) for c, k in zip(table.columns, table.types, strict=True)]
    )
    count = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        rows = iter(table.rows)
        while batch := list(islice(rows, BATCH)):
            columns = list(zip(*batch, strict=True))
            arrays = [
                pa.array(
                    col if kind in ("float", "int", "bool") else [_cell(kind, v) for v in col],
                    type=_arrow_type(kind),
                )
                for col, kind in zip(columns, table.types, strict=True)
            ]
            writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=schema))
            count += len(batch)
        if count == 0:
            writer.write_table(schema.empty_table())
    return count


def write_table(table: Table, path: Path, file_format: str) -> int:
    return (write_parquet if file_format == "parquet" else write_csv)(table, path)
