"""``msctrial analysis``: the trial statistics on any data set (a statistician's CSV).

Each command reads one CSV, names the columns to use, and prints the result as text or, with
``--json``, as the object the tests and users rely on. A missing column, a cell that is not a
number, a negative time, an event other than 0/1 or an unknown arm exits 2 naming the column
(and the first bad row).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from msctrial.analysis.ancova import ancova
from msctrial.analysis.binary import compare_binary
from msctrial.analysis.dataset import read_csv
from msctrial.analysis.repeated import repeated_measures
from msctrial.analysis.result import Result
from msctrial.analysis.survival import compare_survival
from msctrial.cli.common import JsonOption, print_json

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
        bool, typer.Option("--by-visit", help="also the difference at each visit (interaction)")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Repeated measures: a random-intercept mixed model over visits (REML), not an MMRM.

    statsmodels MixedLM; the covariance over visits is compound symmetry. Python has no
    unstructured-covariance MMRM; say so when you report this.
    """
    result = repeated_measures(
        read_csv(csv),
        outcome=outcome,
        arm=arm,
        visit=visit,
        subject=subject,
        covariates=covariate or [],
        reference=reference,
        by_visit=by_visit,
    )
    keys = ["n_observations", "n_subjects", "difference", "se", "ci_low", "ci_high", "p_value"]
    keys += ["model"]
    _show(result, as_json, keys, f"{result.other} minus {result.reference} (reference)")
    if by_visit and not as_json:
        for row in result.by_visit:
            typer.echo(
                f"  visit {row['visit']}: {_text(row['difference'])} "
                f"({_text(row['ci_low'])} to {_text(row['ci_high'])})"
            )
