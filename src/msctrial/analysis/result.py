"""What every analysis result offers: ``summary``, ``to_dict()`` and ``to_html()``."""

from __future__ import annotations

import html
import math
from dataclasses import fields
from typing import Any

import pandas as pd


def plain(value: Any) -> Any:
    """A JSON-ready value: numpy scalars as Python numbers, NaN and infinity as None."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class Result:
    """A mixin for frozen dataclasses holding one analysis' figures.

    ``to_dict`` gives the dataclass fields in their declared order (the JSON contract of the
    command line); ``summary`` is one row per scalar figure, as a report table wants it.
    """

    #: A sentence naming the method, shown under the table of a report.
    method: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {f.name: plain(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]

    @property
    def summary(self) -> pd.DataFrame:
        rows = [
            (name, value)
            for name, value in self.to_dict().items()
            if not isinstance(value, dict | list)
        ]
        return pd.DataFrame(rows, columns=["figure", "value"]).set_index("figure")

    def to_html(self) -> str:
        table = self.summary.to_html(float_format=lambda x: f"{x:.4g}", na_rep="–")
        if self.method:
            table += f'\n<p class="method">{html.escape(self.method)}</p>'
        return table
