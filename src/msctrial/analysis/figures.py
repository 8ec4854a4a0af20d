"""Report figures as SVG text (matplotlib, no display): pooled, or by arm only if given arms."""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from typing import Any, TypeVar, cast

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from lifelines import KaplanMeierFitter  # noqa: E402
from lifelines.plotting import add_at_risk_counts  # noqa: E402
from scipy.stats import t as student_t  # noqa: E402

from msctrial.analysis.biomarkers import Marker  # noqa: E402
from msctrial.analysis.consort import Consort  # noqa: E402
from msctrial.analysis.survival import cumulative_incidence  # noqa: E402
from msctrial.protocol.design import Boundaries  # noqa: E402

# The same figure twice gives the same file: fixed ids, no date in the metadata. Set per
# figure, not in the global rcParams, so that another package's figures are not changed by
# whether this module was imported first.
STYLE: dict[str, Any] = {
    "svg.hashsalt": "msctrial",
    "font.family": ["DejaVu Sans", "Noto Sans CJK SC", "sans-serif"],
}
F = TypeVar("F", bound=Callable[..., str])


def _styled(figure_function: F) -> F:
    """Draw the figure under the report's style."""

    @functools.wraps(figure_function)
    def draw(*args: Any, **kwargs: Any) -> str:
        with matplotlib.rc_context(STYLE):  # type: ignore[arg-type]
            return figure_function(*args, **kwargs)

    return cast(F, draw)


POOLED = "all subjects"


def _svg(figure: plt.Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _groups(endpoints: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    if "arm" in endpoints.columns:
        return [(str(arm), rows) for arm, rows in endpoints.groupby("arm")]
    return [(POOLED, endpoints)]


@_styled
def improvement_curve(endpoints: pd.DataFrame) -> str:
    """Cumulative incidence of clinical improvement to day 28 with death as a competing event
    (Aalen-Johansen, 95% band), the numbers at risk under the axis."""
    figure, axis = plt.subplots(figsize=(7, 4.2))
    fitters = []
    for label, rows in _groups(endpoints):
        curve = cumulative_incidence(rows["ttci_competing_days"], rows["ttci_competing"])
        line = axis.step(curve.index, curve["incidence"], where="post", label=label)[0]
        axis.fill_between(curve.index, curve["ci_low"].fillna(curve["incidence"]),
                          curve["ci_high"].fillna(curve["incidence"]), step="post", alpha=0.2,
                          color=line.get_color())  # fmt: skip
        at_risk = KaplanMeierFitter(label=label)
        fitters.append(at_risk.fit(rows["ttci_competing_days"], rows["ttci_competing"] > 0))
    add_at_risk_counts(*fitters, ax=axis, rows_to_show=["At risk"])
    axis.set_xlim(0, 28)
    axis.set_ylim(0, 1)
    axis.set_xlabel("days from day 0")
    axis.set_ylabel("improved (cumulative incidence)")
    axis.set_title("Time to clinical improvement (Cao 2020), death competing")
    axis.legend(loc="upper left")
    return _svg(figure)


@_styled
def change_by_visit(endpoints: pd.DataFrame, prefix: str, label: str) -> str:
    """Mean change from baseline at each visit with its t-based 95% CI."""
    columns = [c for c in endpoints.columns if c.startswith(prefix)]
    figure, axis = plt.subplots(figsize=(7, 4))
    for offset, (name, rows) in enumerate(_groups(endpoints)):
        means, lows, highs = [], [], []
        for column in columns:
            values = rows[column].dropna()
            mean = float(values.mean()) if len(values) else np.nan
            half = (
                float(
                    student_t.ppf(0.975, len(values) - 1)
                    * values.std(ddof=1)
                    / np.sqrt(len(values))
                )
                if len(values) > 1
                else np.nan
            )
            means.append(mean)
            lows.append(mean - half)
            highs.append(mean + half)
        x = np.arange(len(columns)) + 0.08 * offset
        axis.errorbar(x, means, yerr=[np.subtract(means, lows), np.subtract(highs, means)],
                      marker="o", capsize=3, label=name)  # fmt: skip
    axis.axhline(0, color="grey", linewidth=0.8)
    axis.set_xticks(np.arange(len(columns)))
    axis.set_xticklabels([c.removeprefix(prefix).replace("_", " ") for c in columns])
    axis.set_ylabel(label)
    axis.legend(loc="best")
    return _svg(figure)


@_styled
def marker_trajectory(table: pd.DataFrame, marker: Marker) -> str:
    """A biomarker by visit: estimate and 95% CI per group (``biomarkers.trajectory``), on a log
    axis around a ratio of 1 for a log-scale marker, around a change of 0 otherwise."""
    figure, axis = plt.subplots(figsize=(7, 3.8))
    visits = list(dict.fromkeys(table["visit"]))
    for offset, (name, rows) in enumerate(table.groupby("group", sort=True)):
        rows = rows.set_index("visit").reindex(visits)
        estimate = rows["estimate"].to_numpy(dtype=float)
        low = np.nan_to_num(estimate - rows["ci_low"].to_numpy(dtype=float))
        high = np.nan_to_num(rows["ci_high"].to_numpy(dtype=float) - estimate)
        axis.errorbar(np.arange(len(visits)) + 0.08 * offset, estimate, yerr=[low, high],
                      marker="o", capsize=3, label=str(name))  # fmt: skip
    axis.axhline(1 if marker.log_scale else 0, color="grey", linewidth=0.8)
    if marker.log_scale:
        axis.set_yscale("log")
    axis.set_xticks(np.arange(len(visits)))
    axis.set_xticklabels([v.replace("_", " ") for v in visits])
    axis.set_ylabel("ratio to baseline" if marker.log_scale else f"change ({marker.unit})")
    axis.set_title(marker.measure, fontsize=10)
    axis.legend(loc="best")
    return _svg(figure)


@_styled
def forest(table: pd.DataFrame, title: str) -> str:
    """Hazard ratios with 95% CIs by subgroup, on a log axis (rows without an estimate shown
    without a point)."""
    figure, axis = plt.subplots(figsize=(7, 0.35 * len(table) + 1.2))
    y = np.arange(len(table))[::-1]
    shown = table["hazard_ratio"].notna().to_numpy()
    hr, low, high = (table[c].to_numpy(dtype=float) for c in ("hazard_ratio", "ci_low", "ci_high"))
    axis.errorbar(hr[shown], y[shown], xerr=[hr[shown] - low[shown], high[shown] - hr[shown]],
                  fmt="s", color="black", capsize=2)  # fmt: skip
    axis.axvline(1, color="grey", linewidth=0.8)
    axis.set_xscale("log")
    axis.set_yticks(y)
    axis.set_yticklabels([f"{s}: {lv} (n={n})" for s, lv, n in
                          zip(table["subgroup"], table["level"], table["n"], strict=True)])  # fmt: skip
    axis.set_xlabel("hazard ratio of improvement (> 1 favours the other arm)")
    axis.set_title(title)
    return _svg(figure)


@_styled
def ordinal_bars(endpoints: pd.DataFrame, columns: list[str]) -> str:
    """The WHO scale's distribution at each day as stacked horizontal bars (per arm if given)."""
    bars = []
    for name, rows in _groups(endpoints):
        for column in columns:
            values = rows[column].dropna()
            shares = values.value_counts(normalize=True).sort_index()
            bars.append((f"{name}, {column.removeprefix('who_').replace('_', ' ')}", shares))
    figure, axis = plt.subplots(figsize=(7, 0.45 * len(bars) + 1.4))
    colours = plt.get_cmap("RdYlGn_r")(np.linspace(0, 1, 11))
    for position, (_, shares) in enumerate(bars):
        left = 0.0
        for score, share in shares.items():
            axis.barh(position, share, left=left, color=colours[int(score)], edgecolor="white")
            if share > 0.06:
                axis.text(left + share / 2, position, f"{int(score)}", ha="center", va="center",
                          fontsize=8)  # fmt: skip
            left += share
    axis.set_yticks(range(len(bars)))
    axis.set_yticklabels([label for label, _ in bars])
    axis.invert_yaxis()
    axis.set_xlim(0, 1)
    axis.set_xlabel("share of subjects by WHO clinical progression score (0 best, 10 dead)")
    return _svg(figure)


@_styled
def boundaries_plot(bounds: Boundaries, observed: tuple[float, float] | None = None) -> str:
    """The one-sided efficacy bounds by information fraction; the observed z if given (the
    DSMB's report only: it is an arm comparison)."""
    figure, axis = plt.subplots(figsize=(6, 3.6))
    information = [look.information for look in bounds.looks]
    axis.plot(information, [look.z for look in bounds.looks], marker="o", color="firebrick",
              label=f"efficacy bound ({bounds.spending}, one-sided alpha {bounds.alpha:g})")  # fmt: skip
    if observed is not None:
        axis.plot([observed[0]], [observed[1]], marker="*", markersize=12, linestyle="none",
                  color="black", label="observed z")  # fmt: skip
    axis.axhline(0, color="grey", linewidth=0.8)
    axis.set_xlim(0, 1.05)
    axis.set_xlabel("information fraction")
    axis.set_ylabel("z")
    axis.legend(loc="best", fontsize=8)
    return _svg(figure)


@_styled
def consort_diagram(flow: Consort) -> str:
    """The CONSORT 2010 flow diagram: enrolment, then one column per arm (or one pooled)."""
    columns = max(1, len(flow.arms))
    figure, axis = plt.subplots(figsize=(max(7.0, 3.6 * columns), 6.4))
    axis.set_axis_off()
    axis.set_xlim(0, 1)
    axis.set_ylim(0, 1)
    box = {"boxstyle": "round,pad=0.5", "facecolor": "white", "edgecolor": "#333333"}

    def put(x: float, y: float, text: str) -> None:
        axis.text(x, y, text, ha="center", va="center", fontsize=8.5, bbox=box, wrap=True)

    def arrow(x0: float, y0: float, x1: float, y1: float) -> None:
        axis.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops={"arrowstyle": "->"})

    put(0.3, 0.94, f"Assessed for eligibility (n={flow.assessed})")
    excluded = "\n".join(f"{reason} (n={n})" for reason, n in flow.excluded.items())
    waiting = f"\nstill in screening (n={flow.still_screening})" if flow.still_screening else ""
    put(0.76, 0.82, f"Excluded (n={sum(flow.excluded.values())})\n{excluded}{waiting}".strip())
    arrow(0.3, 0.91, 0.3, 0.73)
    arrow(0.3, 0.82, 0.56, 0.82)
    put(0.3, 0.70, f"Randomised (n={flow.randomised})")
    for i, arm in enumerate(flow.arms):
        x = (i + 0.5) / columns
        arrow(0.3, 0.67, x, 0.56)
        put(x, 0.50, f"{arm.arm}\nallocated (n={arm.allocated})\nreceived an infusion "
                     f"(n={arm.infused})\nno infusion (n={arm.not_infused})")  # fmt: skip
        stopped = "".join(f"\n{k} (n={v})" for k, v in arm.discontinued.items())
        put(x, 0.30, f"Died (n={arm.died}){stopped or chr(10) + 'none discontinued'}")
        put(x, 0.10, f"Analysed (n={arm.analysed})\nintention to treat")
        arrow(x, 0.44, x, 0.35)
        arrow(x, 0.25, x, 0.15)
    axis.set_title("CONSORT flow")
    return _svg(figure)
