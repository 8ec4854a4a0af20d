"""The enrolment chart of the home page: randomised subjects over time against the target.

Inline SVG from matplotlib's object API (no pyplot state, safe in a web server); no date in
the file and a fixed hash salt, so the same data draw the same bytes. The page puts the title
and a text alternative beside it, so the numbers do not depend on seeing the figure.

Drawing costs a few hundred milliseconds a figure and enrolment changes only when a patient
is randomised, so a figure is drawn once per data and kept (the arguments are its whole data).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from typing import Any

_INK = "#1d2733"
_TARGET = "#8a5a00"


@functools.lru_cache(maxsize=128)
def enrolment_svg(
    title: str, points: tuple[tuple[dt.date, int], ...], target: int | None, *, small: bool = False
) -> str:
    """A step line of the cumulative count, with the target as a dashed line when known."""
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "msctrial-enrolment"}):
        fig = Figure(figsize=(3.2, 1.9) if small else (6.4, 3.0))
        ax = fig.subplots()
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if points:
            days: list[Any] = [d for d, _ in points]  # matplotlib plots dates as they are
            counts = [n for _, n in points]
            ax.step(days, counts, where="post", color=_INK, linewidth=1.5)
            ax.scatter(days[-1:], counts[-1:], color=_INK, s=12, zorder=3)
        if target:
            ax.axhline(target, color=_TARGET, linestyle="--", linewidth=1)
            ax.annotate(
                f"target {target}",
                (0, target),
                xycoords=("axes fraction", "data"),
                xytext=(4, 3),
                textcoords="offset points",
                fontsize=7,
                color=_TARGET,
            )
        ax.set_title(title, loc="left", fontsize=9)
        ax.set_ylabel("randomised", fontsize=8)
        ax.set_ylim(bottom=0)
        ax.tick_params(labelsize=7)
        fig.autofmt_xdate()
        buf = io.StringIO()
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    return text[text.index("<svg") :]
