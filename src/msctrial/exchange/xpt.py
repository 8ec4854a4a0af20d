"""SAS XPORT v5 and CSV files of the SDTM domains, with the transport format's limits enforced.

The records are ``xport``'s, written chunk by chunk; pyreadstat reads them back. Version 5's
limits are checked as the lengths are measured (``Lengths``): names of at most 8 characters,
labels of at most 40, character values of at most 200 bytes, all ASCII (the FDA's Study Data
Technical Conformance Guide). A file that breaks one is refused, naming the domain, the
variable and the row.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any, BinaryIO, TextIO, cast

import pandas as pd
import pyreadstat

from msctrial.core.errors import InvalidInput
from msctrial.exchange.sdtm import Domain
from msctrial.exchange.xport import Column, XportWriter

NAME_MAX, LABEL_MAX, VALUE_MAX = 8, 40, 200
CHUNK = 5000  # rows per write: the memory a dataset of any size needs


def _ascii(text: str) -> bool:
    return text.isascii()


def check_names(domain: Domain) -> None:
    """Refuse a dataset or variable name or a label XPORT v5 cannot hold, naming it."""
    where = f"{domain.name}"
    if len(domain.name) > NAME_MAX or not _ascii(domain.name):
        raise InvalidInput(f"{where}: a dataset name has at most 8 ASCII characters", field=where)
    for var in domain.variables:
        field = f"{where}.{var.name}"
        if len(var.name) > NAME_MAX or not _ascii(var.name):
            raise InvalidInput(
                f"{field}: a variable name has at most 8 ASCII characters", field=field
            )
        if len(var.label) > LABEL_MAX or not _ascii(var.label):
            raise InvalidInput(
                f"{field}: the label {var.label!r} is over 40 ASCII characters", field=field
            )


class Lengths:
    """The longest text of each character variable of a domain, measured row by row, each
    value checked on the way: ASCII, at most 200 bytes."""

    def __init__(self, domain: Domain) -> None:
        check_names(domain)
        self.domain = domain.name
        self.text = [v.name for v in domain.variables if not v.numeric]
        self.longest = dict.fromkeys(self.text, 1)
        self.rows = 0

    def see(self, row: dict[str, Any]) -> None:
        self.see_all([row])

    def see_all(self, rows: Sequence[dict[str, Any]]) -> None:
        """Measure and check ``rows``, a column at a time (a chunk costs one pass per column)."""
        for name in self.text:
            texts = ["" if r.get(name) is None else str(r[name]) for r in rows]
            longest = max(map(len, texts), default=0)
            if longest > VALUE_MAX or not "".join(texts).isascii():
                bad = next(n for n, t in enumerate(texts) if len(t) > VALUE_MAX or not _ascii(t))
                self.rows += bad + 1
                self._refuse(name, texts[bad])
            self.longest[name] = max(self.longest[name], longest)
        self.rows += len(rows)

    def _refuse(self, name: str, value: str) -> None:
        field = f"{self.domain}.{name}"
        if not _ascii(value):
            raise InvalidInput(
                f"{field}: row {self.rows} holds {value!r}, which is not ASCII", field=field
            )
        raise InvalidInput(
            f"{field}: row {self.rows} is {len(value)} bytes; XPORT v5 holds at most 200",
            field=field,
        )


def measure(domain: Domain, rows: Iterable[dict[str, Any]] | None = None) -> Lengths:
    """``domain``'s lengths over ``rows`` (its own rows if none are given)."""
    lengths = Lengths(domain)
    chosen = domain.rows if rows is None else tuple(rows)
    for start in range(0, len(chosen), CHUNK):
        lengths.see_all(chosen[start : start + CHUNK])
    return lengths


def check_limits(domain: Domain) -> None:
    """Refuse a domain XPORT v5 cannot hold, naming what is wrong."""
    measure(domain)


def columns(domain: Domain, lengths: Lengths) -> list[Column]:
    return [
        Column(v.name, v.label, v.numeric, 8 if v.numeric else lengths.longest[v.name])
        for v in domain.variables
    ]


def frame(domain: Domain) -> pd.DataFrame:
    """The domain as a DataFrame: numbers as floats (NaN when missing), text as str ("")."""
    columns = {}
    for var in domain.variables:
        values = [row.get(var.name) for row in domain.rows]
        if var.numeric:
            columns[var.name] = pd.Series(
                [float("nan") if v is None else float(v) for v in values], dtype="float64"
            )
        else:
            columns[var.name] = pd.Series(
                ["" if v is None else str(v) for v in values], dtype=object
            )
    return pd.DataFrame(columns, columns=[v.name for v in domain.variables])


def write_xpt(domain: Domain, path: Path, now: dt.datetime | None = None) -> None:
    """``domain`` (its rows in memory) as an XPORT v5 file."""
    with path.open("wb") as handle:
        writer = XportWriter(handle, domain.name, domain.label[:LABEL_MAX],
                             columns(domain, measure(domain)), now or dt.datetime.now())  # fmt: skip
        for start in range(0, len(domain.rows), CHUNK):
            writer.write(domain.rows[start : start + CHUNK])
        writer.close()


def read_xpt(path: Path) -> tuple[pd.DataFrame, dict[str, str]]:
    """A written file read back by pyreadstat (not ``pandas.read_sas``, which drops rows)."""
    data, meta = pyreadstat.read_xport(str(path))
    labels = [label or "" for label in meta.column_labels]
    return data, dict(zip(meta.column_names, labels, strict=True))


def write_csv(domain: Domain, path: Path) -> None:
    check_limits(domain)
    frame(domain).to_csv(path, index=False)


class CsvWriter:
    """A domain's CSV file written chunk by chunk: a header of its variables, then the rows
    (a number as Python writes it, a missing value empty)."""

    def __init__(self, handle: TextIO, domain: Domain) -> None:
        self.names = [v.name for v in domain.variables]
        self.csv = csv.writer(handle, lineterminator="\n")
        self.csv.writerow(self.names)

    def write(self, rows: Sequence[dict[str, Any]]) -> None:
        self.csv.writerows([["" if r.get(n) is None else r[n] for n in self.names] for r in rows])

    def close(self) -> None:
        pass


def open_writer(
    file_format: str, handle: IO[Any], domain: Domain, lengths: Lengths, now: dt.datetime
) -> XportWriter | CsvWriter:
    """The streaming writer of ``domain`` in ``file_format`` (xpt or csv) on an open file."""
    if file_format == "csv":
        return CsvWriter(cast(TextIO, handle), domain)
    label = domain.label[:LABEL_MAX]
    return XportWriter(cast(BinaryIO, handle), domain.name, label, columns(domain, lengths), now)
