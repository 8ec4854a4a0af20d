"""Figures of the monitoring pages, as inline SVG from matplotlib's object API (no pyplot
state, so safe in a web server; fixed ids and no date, so the same data give the same bytes)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

from msctrial.monitoring.model import GroupResult

_INK = "#1d2733"
_BAND = {0.0: "#1e6b34", 2: "#8a5a00", 3: "#a4262c"}
_FLAG = {None: "#9aa4ae", 0: "#1e6b34", 1: "#c98a00", -1: "#c98a00", 2: "#a4262c", -2: "#a4262c"}


def funnel_svg(
    title: str,
    x_label: str,
    points: Sequence[GroupResult],
    bounds: Mapping[float, Sequence[tuple[float, float]]],
) -> str:
    """Each site's metric against its denominator, inside gsm's funnel lines."""
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "msctrial-funnel"}):
        fig = Figure(figsize=(6.4, 3.6))
        ax = fig.subplots()
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        for t, line in sorted(bounds.items()):
            if not line:
                continue
            xs, ys = zip(*line, strict=True)
            colour = _BAND.get(abs(t), "#5b6775")
            ax.plot(xs, ys, color=colour, linewidth=1, linestyle="-" if t == 0 else "--")
            ax.annotate(f"{t:+g}" if t else "mean", (xs[-1], ys[-1]), fontsize=7, color=colour)
        for p in points:
            if p.metric is None:
                continue
            ax.scatter([p.denominator], [p.metric], color=_FLAG.get(p.flag, _INK), s=28, zorder=3)
            ax.annotate(
                p.group,
                (p.denominator, p.metric),
                fontsize=7,
                xytext=(3, 3),
                textcoords="offset points",
            )
        ax.set_title(title, loc="left", fontsize=10)
        ax.set_xlabel(x_label, fontsize=8)
        ax.set_ylabel("metric", fontsize=8)
        ax.tick_params(labelsize=8)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    return text[text.index("<svg") :]
