"""Any table as per-group counts: a CSV's rows summed per group, bad columns and rows named.

This is the reading half of ``msctrial monitor analyze``: a site export, a spreadsheet saved as
CSV, one row per subject or one per site. Rows of the same group are summed, as gsm's
``Transform_Rate`` sums its input per group.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from msctrial.core.errors import InvalidInput
from msctrial.core.validation import read_text
from msctrial.monitoring.model import GroupCount

# A monitoring export of 20,000 subjects is a few MB; 200 MB refuses a wrong file, not a table.
MAX_CSV_BYTES = 200_000_000


def _number(text: str, column: str, row: int) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise InvalidInput(
            f"{column}: row {row} has {text!r}, which is not a number",
            field=column,
            row=row,
        ) from None
    if math.isnan(value) or math.isinf(value):
        raise InvalidInput(f"{column}: row {row} has {text!r}, not a finite number", field=column)
    if value < 0:
        raise InvalidInput(
            f"{column}: row {row} has {text.strip()}; counts and exposures are never negative",
            field=column,
            row=row,
        )
    return value


def read_group_counts(text: str, group: str, numerator: str, denominator: str) -> list[GroupCount]:
    """Per-group sums of two numeric columns, in the order the groups first appear.

    Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row 2.
    """
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = reader.fieldnames or []
    if not columns:
        raise InvalidInput("csv: the file is empty; it needs a header row", field="csv")
    for option, column in (
        ("group", group),
        ("numerator", numerator),
        ("denominator", denominator),
    ):
        if column not in columns:
            raise InvalidInput(
                f"{option}: there is no column {column!r}; the columns are "
                + ", ".join(repr(c) for c in columns),
                field=option,
            )
    sums: dict[str, list[float]] = {}
    for row_no, row in enumerate(reader, start=2):
        label = (row.get(group) or "").strip()
        if not label:
            raise InvalidInput(f"{group}: row {row_no} has no group", field=group, row=row_no)
        values = []
        for column in (numerator, denominator):
            cell = row.get(column)
            if cell is None or not cell.strip():
                raise InvalidInput(f"{column}: row {row_no} is empty", field=column, row=row_no)
            values.append(_number(cell, column, row_no))
        total = sums.setdefault(label, [0.0, 0.0])
        total[0] += values[0]
        total[1] += values[1]
    if not sums:
        raise InvalidInput("csv: the file has a header but no rows", field="csv")
    return [GroupCount(label, x, n) for label, (x, n) in sums.items()]


def read_group_counts_file(
    path: Path, group: str, numerator: str, denominator: str
) -> list[GroupCount]:
    """``read_group_counts`` on a file, refusing a missing, binary or huge one by name."""
    text = read_text(path, "csv", max_bytes=MAX_CSV_BYTES)
    return read_group_counts(text.lstrip("\ufeff"), group, numerator, denominator)
