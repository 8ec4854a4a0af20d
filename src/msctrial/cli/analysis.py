"""``msctrial analysis``: the trial statistics on any data set (a statistician's CSV).

Each command reads one CSV, names the columns to use, and prints the result as text or, with
``--json``, as the object the tests and users rely on. A missing column, a cell that is not a
number, a negative time, an event other than 0/1 or an unknown arm exits 2 naming the column
(and the first bad row).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from msctrial.analysis.ancova import ancova
from msctrial.analysis.binary import compare_binary
from msctrial.analysis.dataset import read_csv
from msctrial.analysis.ordinal import proportional_odds
from msctrial.analysis.repeated import compare_covariances as compare_structures
from msctrial.analysis.repeated import repeated_measures
from msctrial.analysis.result import Result, plain
from msctrial.analysis.survival import compare_survival
from msctrial.analysis.trial import analyse_trial, trial_endpoints
from msctrial.cli.common import (
    DbOption,
    JsonOption,
    operator,
    print_json,
    session_for,
    settings_for,
)
from msctrial.core.actors import Actor, Grant
from msctrial.core.users import authenticate

app = typer.Typer(help="Statistical analyses of a trial's data set.", no_args_is_help=True)

CsvOption = Annotated[Path, typer.Option("--csv", help="the data set, a CSV file with a header")]
ArmOption = Annotated[str, typer.Option("--arm", help="column of the arm (exactly two levels)")]
ReferenceOption = Annotated[
    str | None,
    typer.Option("--reference", help="the reference arm (default: the first in sorted order)"),
]
CovariateOption = Annotated[
    list[str] | None,
    typer.Option(
        "--covariate",
        help="an adjustment column, repeatable; text columns (strata) enter as factors",
    ),
]


def _show(result: Result, as_json: bool, keys: list[str], title: str) -> None:
    """The contract's keys as JSON, or the same figures and the method as text."""
    data = result.to_dict()
    if as_json:
        extra = {k: v for k, v in data.items() if k not in keys}
        print_json({**{k: data[k] for k in keys}, **extra})
        return
    typer.echo(title)
    for key in keys:
        typer.echo(f"  {key:<16} {_text(data[key])}")
    typer.echo(f"  method: {result.method}")


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_text(v)}" for k, v in value.items())
    return "–" if value is None else str(value)


@app.command("survival")
def survival(
    csv: CsvOption,
    time: Annotated[str, typer.Option("--time", help="column of the time to event or censoring")],
    event: Annotated[str, typer.Option("--event", help="column of the event: 1 event, 0 censored")],
    arm: ArmOption,
    reference: ReferenceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Kaplan-Meier medians, log-rank test and Cox hazard ratio (other arm vs reference)."""
    result = compare_survival(read_csv(csv), time=time, event=event, arm=arm, reference=reference)
    keys = ["n", "events", "logrank_chi2", "logrank_p", "hazard_ratio", "hr_ci_low"]
    keys += ["hr_ci_high", "median_by_arm"]
    _show(result, as_json, keys, f"{result.other} vs {result.reference} (reference)")


@app.command("ancova")
def ancova_command(
    csv: CsvOption,
    outcome: Annotated[
        str, typer.Option("--outcome", help="column of the outcome (or its change from baseline)")
    ],
    baseline: Annotated[str, typer.Option("--baseline", help="column of the baseline value")],
    arm: ArmOption,
    covariate: CovariateOption = None,
    reference: ReferenceOption = None,
    as_json: JsonOption = False,
) -> None:
    """ANCOVA: the arm difference adjusted for baseline and covariates (other minus reference)."""
    result = ancova(
        read_csv(csv),
        outcome=outcome,
        baseline=baseline,
        arm=arm,
        covariates=covariate or [],
        reference=reference,
    )
    keys = ["n", "difference", "ci_low", "ci_high", "p_value"]
    _show(result, as_json, keys, f"{result.other} minus {result.reference} (reference), adjusted")


@app.command("binary")
def binary(
    csv: CsvOption,
    outcome: Annotated[str, typer.Option("--outcome", help="column of the outcome: 1 or 0")],
    arm: ArmOption,
    strata: Annotated[
        str | None, typer.Option("--strata", help="column of the strata (for the CMH test)")
    ] = None,
    reference: ReferenceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Risk difference, risk ratio, odds ratio, Fisher exact and CMH tests (other vs reference)."""
    result = compare_binary(
        read_csv(csv), outcome=outcome, arm=arm, strata=strata, reference=reference
    )
    keys = ["n", "risk_difference", "rd_ci_low", "rd_ci_high", "risk_ratio", "rr_ci_low"]
    keys += ["rr_ci_high", "odds_ratio", "fisher_p", "cmh_p"]
    _show(result, as_json, keys, f"{result.other} vs {result.reference} (reference)")


@app.command("ordinal")
def ordinal(
    csv: CsvOption,
    outcome: Annotated[str, typer.Option("--outcome", help="column of the ordinal outcome")],
    arm: ArmOption,
    covariate: CovariateOption = None,
    levels: Annotated[
        str | None,
        typer.Option(
            "--levels", help="a text outcome's levels in order, lowest first, comma-separated"
        ),
    ] = None,
    reference: ReferenceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Proportional-odds model: the common odds ratio of a higher category (other vs reference)."""
    result = proportional_odds(
        read_csv(csv),
        outcome=outcome,
        arm=arm,
        covariates=covariate or [],
        reference=reference,
        levels=[part.strip() for part in levels.split(",")] if levels else None,
    )
    keys = ["n", "odds_ratio", "or_ci_low", "or_ci_high", "p_value"]
    _show(result, as_json, keys, f"{result.other} vs {result.reference} (reference)")


@app.command("mmrm")
@app.command("repeated")
def repeated(
    csv: CsvOption,
    outcome: Annotated[str, typer.Option("--outcome", help="column of the measured value")],
    arm: ArmOption,
    visit: Annotated[str, typer.Option("--visit", help="column of the visit (a factor)")],
    subject: Annotated[str, typer.Option("--subject", help="column of the subject")],
    covariate: CovariateOption = None,
    reference: ReferenceOption = None,
    by_visit: Annotated[
        bool,
        typer.Option(
            "--by-visit", help="arm × visit model: each visit's difference and the LS means"
        ),
    ] = False,
    covariance: Annotated[
        str,
        typer.Option(
            "--covariance",
            help="residual covariance over visits: unstructured, ar1, ar1h (heterogeneous) or cs",
        ),
    ] = "unstructured",
    compare_covariances: Annotated[
        bool,
        typer.Option(
            "--compare-covariances",
            help="also fit every structure and list its -2 REML log-likelihood, AIC and BIC",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Repeated measures: an MMRM over visits (REML, Satterthwaite df).

    The residual covariance within a subject is unstructured unless --covariance says
    otherwise; rows with an empty outcome are left out (the subject's other visits count).
    Without --by-visit the difference is the arm effect of the model without the arm × visit
    interaction; with it, the interaction model's difference at each visit (the last is the
    usual primary estimand) and their average.
    """
    frame = read_csv(csv)
    model: dict[str, Any] = {"outcome": outcome, "arm": arm, "visit": visit, "subject": subject,
             "covariates": covariate or [], "reference": reference, "by_visit": by_visit}  # fmt: skip
    result = repeated_measures(frame, **model, covariance=covariance)
    keys = ["n_observations", "n_subjects", "difference", "se", "df", "ci_low", "ci_high"]
    keys += ["p_value", "minus2_reml_loglik", "aic", "bic", "converged", "model"]
    if compare_covariances:
        comparison = compare_structures(frame, **model).rows
        if as_json:
            data = result.to_dict()
            print_json({**{k: data[k] for k in keys}, **data, "covariances": plain(comparison)})
            return
    _show(result, as_json, keys, f"{result.other} minus {result.reference} (reference)")
    if not result.converged:
        typer.echo(
            f"warning: the REML fit with {result.covariance} covariance did not converge; its "
            "figures are not to be trusted (try --covariance ar1 or cs)",
            err=True,
        )
    if compare_covariances and not as_json:
        typer.echo("  covariance structures (smaller AIC/BIC is better):")
        for row in comparison:
            figures = "; ".join(f"{k} {_text(v)}" for k, v in row.items() if k != "covariance")
            typer.echo(f"    {row['covariance']}: {figures}")
    if by_visit and not as_json:
        for row in result.by_visit:
            typer.echo(
                f"  visit {row['visit']}: {_text(row['difference'])} "
                f"({_text(row['ci_low'])} to {_text(row['ci_high'])}, df {_text(row['df'])}, "
                f"p {_text(row['p_value'])})"
            )


# --- the trial in the database -------------------------------------------------------------

UserOption = Annotated[
    str | None,
    typer.Option(
        "--user", help="analyse as this user (a dsmb user sees arms); asks for the password"
    ),
]
StdinOption = Annotated[bool, typer.Option("--password-stdin", help="read the password from stdin")]
SiteOption = Annotated[str | None, typer.Option("--site", help="only this site's subjects")]


@contextmanager
def reader(db: str | None, user: str | None, password_stdin: bool) -> Iterator[tuple[Any, Actor]]:
    """A session and the reader: the named user, or a blinded statistician at the terminal."""
    settings = settings_for(db)
    with session_for(settings, migrate=False) as session:
        if user is None:
            yield session, Actor(username=f"cli:{operator()}", grants=(Grant("statistician"),))
            return
        password = (
            sys.stdin.readline().rstrip("\n")
            if password_stdin
            else typer.prompt("Password", hide_input=True)
        )
        yield session, authenticate(session, settings, user, password, ip="cli")


@app.command("trial")
def trial(
    db: DbOption = None,
    user: UserOption = None,
    password_stdin: StdinOption = False,
    reference: ReferenceOption = None,
    site: SiteOption = None,
    as_json: JsonOption = False,
) -> None:
    """The trial's endpoints from its stored visits: pooled when blinded, by arm for the DSMB.

    28-day mortality (CMH over severity), time to clinical improvement (Cao 2020; log-rank,
    Cox), P/F change from day 0 (ANCOVA on baseline and severity), ventilator-free days.
    """
    with reader(db, user, password_stdin) as (session, actor):
        result = analyse_trial(session, actor, reference=reference, site_code=site)
    data = result.to_dict()
    if as_json:
        print_json(data)
        return
    pooled = data["pooled"]
    typer.echo(
        f"{data['n']} randomised subjects" + (" (blinded: pooled)" if data["blinded"] else "")
    )
    typer.echo(
        f"  died by day 28: {pooled['deaths_by_day_28']} of {pooled['known_at_day_28']} known"
    )
    typer.echo(f"  improved by day 28: {pooled['improved_by_day_28']}")
    typer.echo(f"  median ventilator-free days: {_text(pooled['median_ventilator_free_days'])}")
    for visit, mean in pooled["mean_pf_change"].items():
        typer.echo(f"  mean P/F change at {visit}: {_text(mean)} mmHg")
    comparisons = data["comparisons"]
    if "ttci" in comparisons:
        ttci, died = comparisons["ttci"], comparisons["mortality_28"]
        typer.echo(
            f"time to improvement, {ttci['other']} vs {ttci['reference']}: HR "
            f"{_text(ttci['hazard_ratio'])} ({_text(ttci['hr_ci_low'])} to "
            f"{_text(ttci['hr_ci_high'])}), log-rank p {_text(ttci['logrank_p'])}"
        )
        typer.echo(
            f"28-day mortality, {died['other']} minus {died['reference']}: "
            f"{_text(died['risk_difference'])} ({_text(died['rd_ci_low'])} to "
            f"{_text(died['rd_ci_high'])}), CMH p {_text(died['cmh_p'])}"
        )
        for name, fit in comparisons.items():
            if name.startswith("pf_change_"):
                typer.echo(
                    f"P/F change at {name.removeprefix('pf_change_')}: {_text(fit['difference'])} "
                    f"({_text(fit['ci_low'])} to {_text(fit['ci_high'])}), p {_text(fit['p_value'])}"
                )


@app.command("endpoints")
def endpoints(
    db: DbOption = None,
    user: UserOption = None,
    password_stdin: StdinOption = False,
    site: SiteOption = None,
    out: Annotated[Path | None, typer.Option("--out", help="write the CSV here")] = None,
) -> None:
    """Every derived endpoint, one row per randomised subject, as CSV (an arm column only for
    a reader who may see arms)."""
    with reader(db, user, password_stdin) as (session, actor):
        frame = trial_endpoints(session, actor, site_code=site)
    text = frame.reset_index().to_csv(index=False, float_format="%.6g")
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"{out}: {len(frame)} subjects")
