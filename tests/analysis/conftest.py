"""Data sets for the analysis tests: published reference data and small frames as CSV text."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.cli.conftest import cli  # noqa: F401  (the in-process command line)


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame as ``read_csv`` gives it: every cell text, rows numbered from 1."""
    text = frame.astype(str)
    text.index = pd.RangeIndex(1, len(frame) + 1)
    return text


@pytest.fixture(scope="session")
def leukaemia() -> pd.DataFrame:
    """Freireich et al. (Blood 1963) 6-MP remission data, 21 + 21 patients, as lifelines bundles
    it (``load_leukemia``: t in weeks, status 1 relapse, Rx 1 placebo), with the arm named."""
    from lifelines.datasets import load_leukemia

    data = load_leukemia()
    data["arm"] = data["Rx"].map({0: "6-MP", 1: "placebo"})
    return as_text(data)


@pytest.fixture
def write_csv(tmp_path: Path):  # noqa: ANN201
    """``write_csv(frame)`` → the path of a CSV file holding it."""

    def write(frame: pd.DataFrame, name: str = "data.csv") -> Path:
        path = tmp_path / name
        frame.to_csv(path, index=False)
        return path

    return write
