"""SAS XPORT v5 and CSV files of the SDTM domains, with the transport format's limits enforced.

pyreadstat writes the files but does not refuse what version 5 cannot hold, so ``check_limits``
does: names of at most 8 characters, labels of at most 40, character values of at most 200
bytes, all ASCII (the FDA's Study Data Technical Conformance Guide). A file that breaks one is
refused, naming the domain, the variable and the row.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadstat

from msctrial.core.errors import InvalidInput
from msctrial.exchange.sdtm import Domain

NAME_MAX, LABEL_MAX, VALUE_MAX = 8, 40, 200


def _ascii(text: str) -> bool:
    return text.isascii()


def check_limits(domain: Domain) -> None:
    """Refuse a domain XPORT v5 cannot hold, naming what is wrong."""
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
        if var.numeric:
            continue
        for n, row in enumerate(domain.rows, 1):
            value = str(row.get(var.name) or "")
            if not _ascii(value):
                raise InvalidInput(
                    f"{field}: row {n} holds {value!r}, which is not ASCII", field=field
                )
            if len(value.encode("ascii")) > VALUE_MAX:
                raise InvalidInput(
                    f"{field}: row {n} is {len(value)} bytes; XPORT v5 holds at most 200",
                    field=field,
                )


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


def write_xpt(domain: Domain, path: Path) -> None:
    check_limits(domain)
    pyreadstat.write_xport(
        frame(domain),
        str(path),
        file_label=domain.label[:LABEL_MAX],
        column_labels=[v.label for v in domain.variables],
        table_name=domain.name,
        file_format_version=5,
    )


def read_xpt(path: Path) -> tuple[pd.DataFrame, dict[str, str]]:
    """A written file read back by pyreadstat (not ``pandas.read_sas``, which drops rows)."""
    data, meta = pyreadstat.read_xport(str(path))
    labels = [label or "" for label in meta.column_labels]
    return data, dict(zip(meta.column_names, labels, strict=True))


def write_csv(domain: Domain, path: Path) -> None:
    check_limits(domain)
    frame(domain).to_csv(path, index=False)
