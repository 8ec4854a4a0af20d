"""Power by simulation: many trials of the simulator's patients, each analysed as planned.

The patients are drawn with the simulator's own model (``simulation.patients``, the draws
``msctrial clinical simulate`` makes), but outcomes are taken from the model directly instead
of being typed into a database: death by day 28, and discharge alive by day 28 (an improvement
in Cao's definition, censored at day 28). Each trial is analysed with the analysis package
(Fisher's exact test for mortality, the log-rank test for improvement); the power is the share
of trials that reject at two-sided ``alpha``, with its Monte-Carlo standard error.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from msctrial.analysis.binary import compare_binary
from msctrial.analysis.survival import compare_survival
from msctrial.core.errors import InvalidInput
from msctrial.simulation.patients import discharge_day, draw_patient


class PowerEndpoint(StrEnum):
    mortality28 = "mortality28"
    improvement = "improvement"


@dataclass(frozen=True)
class PowerEstimate:
    subjects: int
    effect: float
    endpoint: str
    reps: int
    power: float
    mcse: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def simulated_outcomes(subjects: int, effect: float, seed: int) -> pd.DataFrame:
    """One 1:1 trial of the simulator's patients (alternating arms), day-28 outcomes."""
    rng = np.random.default_rng(seed)
    rows = []
    for number in range(subjects):
        patient = draw_patient(rng, site="WUH", year=2020, screen_failure_rate=0.0)
        msc = number % 2 == 1
        dies = patient.dies(msc, effect)
        home = None if dies else discharge_day(patient, msc, effect)
        improved = home is not None and home <= 28
        rows.append({
            "arm": "UC-MSC" if msc else "Placebo",
            "severity": patient.severity,
            "died": int(dies and patient.death_day <= 28),
            "improved": int(improved),
            "day": float(home) if improved and home is not None else 28.0,
        })  # fmt: skip
    frame = pd.DataFrame(rows)
    frame.index = pd.RangeIndex(1, subjects + 1)
    return frame


def _p_value(task: tuple[int, float, int, str]) -> float:
    subjects, effect, seed, endpoint = task
    trial = simulated_outcomes(subjects, effect, seed)
    if endpoint == PowerEndpoint.mortality28:
        return compare_binary(trial, outcome="died", arm="arm", reference="Placebo").fisher_p
    return compare_survival(
        trial, time="day", event="improved", arm="arm", reference="Placebo"
    ).logrank_p


def simulate_power(
    subjects: int, effect: float, *, reps: int, seed: int,
    endpoint: PowerEndpoint = PowerEndpoint.mortality28, alpha: float = 0.05, workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> PowerEstimate:  # fmt: skip
    """The power of the planned test with ``subjects`` subjects (both arms) by ``reps`` trials."""
    if subjects < 4 or reps < 1:
        raise InvalidInput("subjects: at least 4 subjects and 1 repetition", field="subjects")
    if not 0 <= effect <= 1:
        raise InvalidInput(f"effect: {effect:g} must lie between 0 and 1", field="effect")
    seeds = [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(reps)]
    tasks = [(subjects, effect, s, endpoint.value) for s in seeds]
    rejections = 0
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for p in pool.map(_p_value, tasks, chunksize=max(1, reps // (4 * workers))):
                rejections += p < alpha
                if progress:
                    progress(1)
    else:
        for task in tasks:
            rejections += _p_value(task) < alpha
            if progress:
                progress(1)
    power = rejections / reps
    return PowerEstimate(
        subjects=subjects, effect=effect, endpoint=endpoint.value, reps=reps, power=power,
        mcse=math.sqrt(power * (1 - power) / reps),
    )  # fmt: skip


def power_curve(
    sizes: Sequence[int], effect: float, *, reps: int, seed: int, endpoint: PowerEndpoint,
    alpha: float = 0.05, workers: int = 1, progress: Callable[[int], None] | None = None,
) -> list[PowerEstimate]:  # fmt: skip
    """The simulated power at each size (the same seed for each, so the curve is smooth)."""
    return [
        simulate_power(
            n,
            effect,
            reps=reps,
            seed=seed,
            endpoint=endpoint,
            alpha=alpha,
            workers=workers,
            progress=progress,
        )  # fmt: skip
        for n in sizes
    ]


def power_curve_svg(points: Sequence[PowerEstimate]) -> str:
    """The power curve with ±2 Monte-Carlo standard errors, as SVG."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 3.6))
    sizes = [p.subjects for p in points]
    power = np.array([p.power for p in points])
    error = 2 * np.array([p.mcse for p in points])
    axis.errorbar(sizes, power, yerr=error, marker="o", capsize=3)
    axis.axhline(0.8, color="grey", linestyle="--", linewidth=0.8)
    axis.set_ylim(0, 1)
    axis.set_xlabel("subjects (both arms)")
    axis.set_ylabel("power")
    axis.set_title(
        f"{points[0].endpoint}, effect {points[0].effect:g}, {points[0].reps} trials each"
    )
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]
