"""``msctrial design``: sample size and power, group-sequential efficacy bounds."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from msctrial.cli.common import JsonOption, print_json
from msctrial.core.errors import InvalidInput
from msctrial.protocol import design
from msctrial.protocol.design import Spending
from msctrial.simulation.power import PowerEndpoint

app = typer.Typer(help="Trial design: sample size, power, interim bounds.", no_args_is_help=True)


class Endpoint(StrEnum):
    proportions = "proportions"
    means = "means"
    survival = "survival"


def _need(value: float | None, option: str, endpoint: Endpoint) -> float:
    if value is None:
        raise InvalidInput(f"{option}: the {endpoint.value} endpoint needs {option}", field=option)
    return value


def _power_or_size(
    endpoint: Endpoint,
    values: dict[str, float | None],
    alpha: float,
    power: float,
    ratio: float,
    continuity: bool,
    n_per_arm: int | None,
    events: int | None,
) -> dict[str, Any]:
    if endpoint is Endpoint.proportions:
        p1 = _need(values["p1"], "--p1", endpoint)
        p2 = _need(values["p2"], "--p2", endpoint)
        if n_per_arm is not None:
            return {"power": design.power_proportions(p1, p2, n_per_arm, alpha=alpha, ratio=ratio)}
        size = design.sample_size_proportions(
            p1, p2, alpha=alpha, power=power, ratio=ratio, continuity=continuity
        )
        return size.to_dict()
    if endpoint is Endpoint.means:
        delta = _need(values["delta"], "--delta", endpoint)
        sd = _need(values["sd"], "--sd", endpoint)
        if n_per_arm is not None:
            return {"power": design.power_means(delta, sd, n_per_arm, alpha=alpha, ratio=ratio)}
        return design.sample_size_means(delta, sd, alpha=alpha, power=power, ratio=ratio).to_dict()
    hazard_ratio = _need(values["hazard_ratio"], "--hazard-ratio", endpoint)
    if events is not None:
        return {"power": design.power_survival(hazard_ratio, events, alpha=alpha, ratio=ratio)}
    count = design.events_survival(
        hazard_ratio, alpha=alpha, power=power, ratio=ratio,
        event_probability=values["event_probability"],
    )  # fmt: skip
    return count.to_dict()


@app.command("power")
def power_command(
    endpoint: Annotated[Endpoint, typer.Option("--endpoint", help="the primary endpoint's kind")],
    p1: Annotated[float | None, typer.Option("--p1", help="proportion in the first arm")] = None,
    p2: Annotated[float | None, typer.Option("--p2", help="proportion in the other arm")] = None,
    delta: Annotated[float | None, typer.Option("--delta", help="difference in means")] = None,
    sd: Annotated[float | None, typer.Option("--sd", help="standard deviation")] = None,
    hazard_ratio: Annotated[
        float | None, typer.Option("--hazard-ratio", help="hazard ratio to detect")
    ] = None,
    event_probability: Annotated[
        float | None,
        typer.Option("--event-probability", help="share of subjects with an event (survival)"),
    ] = None,
    alpha: Annotated[float, typer.Option("--alpha", help="two-sided type I error")] = 0.05,
    power: Annotated[float, typer.Option("--power", help="power to reach")] = 0.8,
    ratio: Annotated[
        float, typer.Option("--ratio", help="subjects in the other arm per subject in the first")
    ] = 1.0,
    continuity: Annotated[
        bool, typer.Option("--continuity", help="Fleiss' continuity correction (proportions)")
    ] = False,
    n_per_arm: Annotated[
        int | None, typer.Option("--n-per-arm", help="give the power for this many per arm")
    ] = None,
    events: Annotated[
        int | None, typer.Option("--events", help="give the power after this many events")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Sample size (normal approximation, two-sided) or, given n or events, the power.

    proportions: --p1 --p2; means: --delta --sd; survival: --hazard-ratio (Schoenfeld's events,
    and subjects with --event-probability).
    """
    values = {
        "p1": p1, "p2": p2, "delta": delta, "sd": sd, "hazard_ratio": hazard_ratio,
        "event_probability": event_probability,
    }  # fmt: skip
    result = _power_or_size(endpoint, values, alpha, power, ratio, continuity, n_per_arm, events)
    if as_json:
        print_json(result)
        return
    for key, value in result.items():
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        typer.echo(f"{key:<12} {shown}")


@app.command("boundaries")
def boundaries(
    looks: Annotated[
        str, typer.Option("--looks", help="information fractions, comma-separated, ending at 1")
    ],
    alpha: Annotated[float, typer.Option("--alpha", help="one-sided type I error")] = 0.025,
    spending: Annotated[
        Spending, typer.Option("--spending", help="Lan-DeMets spending function")
    ] = Spending.obrien_fleming,
    classic: Annotated[
        bool,
        typer.Option("--classic", help="the original O'Brien-Fleming or Pocock design instead"),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """One-sided efficacy bounds per look for Lan-DeMets alpha spending."""
    try:
        fractions = [float(part) for part in looks.split(",") if part.strip()]
    except ValueError as exc:
        raise InvalidInput(
            f"looks: {looks!r} is not a comma-separated list of numbers", field="looks"
        ) from exc
    compute = design.classic_bounds if classic else design.efficacy_bounds
    result = compute(fractions, alpha=alpha, spending=spending)
    if as_json:
        print_json(result.to_dict())
        return
    typer.echo(f"{result.spending}, one-sided alpha {result.alpha:g}")
    typer.echo(f"  {'information':>11} {'z':>7} {'nominal p':>10} {'cumulative alpha':>17}")
    for look in result.looks:
        typer.echo(
            f"  {look.information:>11.3f} {look.z:>7.3f} {look.nominal_p:>10.5f} "
            f"{look.cumulative_alpha:>17.5f}"
        )


@app.command("simulate-power")
def simulate_power_command(
    subjects: Annotated[int, typer.Option("--subjects", help="subjects per trial, both arms")],
    effect: Annotated[float, typer.Option("--effect", help="treatment effect 0 (none) to 1")],
    reps: Annotated[int, typer.Option("--reps", help="simulated trials")] = 200,
    seed: Annotated[int, typer.Option("--seed", help="seed; the same seed, the same power")] = 1,
    endpoint: Annotated[
        PowerEndpoint, typer.Option("--endpoint", help="the analysed endpoint")
    ] = PowerEndpoint.mortality28,
    alpha: Annotated[float, typer.Option("--alpha", help="two-sided type I error")] = 0.05,
    workers: Annotated[int, typer.Option("--workers", help="worker processes", min=1)] = 1,
    curve: Annotated[
        str | None,
        typer.Option("--curve", help="also a power curve over these sizes, e.g. 100,200,400"),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="SVG file for the curve (default power.svg)")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Power by simulating trials of the simulator's patients, with its Monte-Carlo error.

    Each trial draws patients from the simulator's model (the draws of `msctrial clinical
    simulate`, without the database) and is analysed as planned: Fisher's exact test for
    28-day mortality, the log-rank test for improvement (discharge alive by day 28).
    """
    from msctrial.simulation.power import power_curve, power_curve_svg, simulate_power

    sizes = _sizes_list(curve) if curve else []
    total = reps * (1 + len(sizes))
    with typer.progressbar(length=total, label="simulating", file=sys.stderr) as bar:
        estimate = simulate_power(
            subjects, effect, reps=reps, seed=seed, endpoint=endpoint, alpha=alpha,
            workers=workers, progress=bar.update,
        )  # fmt: skip
        points = (
            power_curve(
                sizes,
                effect,
                reps=reps,
                seed=seed,
                endpoint=endpoint,
                alpha=alpha,
                workers=workers,
                progress=bar.update,
            )  # fmt: skip
            if sizes
            else []
        )
    data = estimate.to_dict()
    if points:
        target = out or Path("power.svg")
        target.write_text(power_curve_svg(points), encoding="utf-8")
        data["curve"] = [p.to_dict() for p in points]
        data["curve_svg"] = str(target)
    if as_json:
        print_json(data)
        return
    typer.echo(
        f"power {estimate.power:.3f} (Monte-Carlo SE {estimate.mcse:.3f}) with {subjects} "
        f"subjects, effect {effect:g}, {endpoint.value}, {reps} trials"
    )
    for point in points:
        typer.echo(f"  {point.subjects:>6} subjects: {point.power:.3f} ± {point.mcse:.3f}")
    if points:
        typer.echo(f"curve: {data['curve_svg']}")


def _sizes_list(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise InvalidInput(
            f"curve: {text!r} is not a comma-separated list of sizes", field="curve"
        ) from exc
