"""A statistician's data set: read a CSV, check the columns an analysis needs.

Every check names the column and the first bad row, so a user can find it in the file: rows
are counted from 1 for the first data row (the line after the header). A cell is read as
text and converted here, so "n/a" in a number column is an error, not a silent missing value;
an empty cell is missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from msctrial.core.errors import InvalidInput


def read_csv(path: Path) -> pd.DataFrame:
    """Every cell of a CSV file as text (empty cells as ""), rows numbered from 1."""
    if not path.is_file():
        raise InvalidInput(f"csv: {path} does not exist", field="csv")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"csv: {path} is not a readable CSV file ({exc})", field="csv") from exc
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    return frame


def require_columns(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    """Refuse a data set that lacks one of ``columns``, naming it and the ones there are."""
    for column in columns:
        if column not in frame.columns:
            present = ", ".join(map(str, frame.columns)) or "none"
            raise InvalidInput(
                f"{column}: the data set has no column {column!r} (its columns: {present})",
                field=column,
            )


def _row(frame: pd.DataFrame, position: int) -> object:
    return frame.index[position]


def _missing(values: pd.Series) -> pd.Series:
    return values.isna() | values.astype(str).str.strip().eq("")


def numbers(frame: pd.DataFrame, column: str, *, allow_missing: bool = False) -> pd.Series:
    """The column as floats; a cell that is not a number is an error naming its row.

    An empty cell is NaN when ``allow_missing``, else an error.
    """
    require_columns(frame, [column])
    raw = frame[column]
    missing = _missing(raw)
    converted = pd.to_numeric(raw.where(~missing), errors="coerce")
    bad = converted.isna() & ~missing
    if bad.any():
        position = int(bad.to_numpy().nonzero()[0][0])
        raise InvalidInput(
            f"{column}: row {_row(frame, position)} holds {raw.iloc[position]!r}, not a number",
            field=column,
        )
    if missing.any() and not allow_missing:
        position = int(missing.to_numpy().nonzero()[0][0])
        raise InvalidInput(f"{column}: row {_row(frame, position)} is empty", field=column)
    return converted.astype(float)


def durations(frame: pd.DataFrame, column: str) -> pd.Series:
    """Times to event: numbers, none missing, none negative."""
    values = numbers(frame, column)
    negative = values < 0
    if negative.any():
        position = int(negative.to_numpy().nonzero()[0][0])
        raise InvalidInput(
            f"{column}: row {_row(frame, position)} holds {values.iloc[position]:g}, "
            "a negative time",
            field=column,
        )
    return values


def indicator(frame: pd.DataFrame, column: str, *, allow_missing: bool = False) -> pd.Series:
    """A 0/1 column (an event, a binary outcome) as integers; anything else names its row."""
    values = numbers(frame, column, allow_missing=allow_missing)
    bad = values.notna() & ~values.isin([0.0, 1.0])
    if bad.any():
        position = int(bad.to_numpy().nonzero()[0][0])
        raise InvalidInput(
            f"{column}: row {_row(frame, position)} holds {frame[column].iloc[position]!r}; "
            "it must be 0 or 1",
            field=column,
        )
    return values.astype("Int64") if allow_missing else values.astype(int)


def labels(frame: pd.DataFrame, column: str) -> pd.Series:
    """A grouping column (arm, stratum, subject, visit) as stripped text, none empty."""
    require_columns(frame, [column])
    raw = frame[column]
    missing = _missing(raw)
    if missing.any():
        position = int(missing.to_numpy().nonzero()[0][0])
        raise InvalidInput(f"{column}: row {_row(frame, position)} is empty", field=column)
    return raw.astype(str).str.strip()


def two_arms(arms: pd.Series, column: str, reference: str | None) -> tuple[str, str]:
    """(reference, other): exactly two arms, the reference the first in sorted order unless named."""
    levels = sorted(arms.unique())
    if len(levels) != 2:
        found = ", ".join(repr(level) for level in levels) or "none"
        raise InvalidInput(
            f"{column}: a comparison needs exactly two arms, the data set has {len(levels)} "
            f"({found})",
            field=column,
        )
    if reference is None:
        return levels[0], levels[1]
    if reference not in levels:
        raise InvalidInput(
            f"reference: {reference!r} is not an arm of column {column!r} "
            f"(its arms: {levels[0]!r}, {levels[1]!r})",
            field="reference",
        )
    other = levels[1] if reference == levels[0] else levels[0]
    return reference, other


def is_numeric(frame: pd.DataFrame, column: str) -> bool:
    """Whether every non-empty cell of the column is a number (a covariate enters linearly)."""
    raw = frame[column]
    present = raw[~_missing(raw)]
    return bool(pd.to_numeric(present, errors="coerce").notna().all()) and len(present) > 0
