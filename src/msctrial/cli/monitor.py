"""``msctrial monitor``: gsm's key-risk-indicator method on any table, and on the trial itself."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from msctrial.cli.common import (
    DbOption,
    JsonOption,
    print_json,
    session_for,
    settings_for,
    terminal_reader,
)
from msctrial.core.errors import InvalidInput
from msctrial.monitoring.config import load_config
from msctrial.monitoring.history import read_history, take_snapshot
from msctrial.monitoring.methods import Analysis, analyze
from msctrial.monitoring.model import (
    Accrual,
    KriType,
    Method,
    parse_numbers,
    thresholds_for,
)
from msctrial.monitoring.scorecard import Scorecard, load_scorecard
from msctrial.monitoring.service import (
    RISK_SCORE_ID,
    KriReport,
    country_indicators,
    key_risk_indicators,
    kri_records,
    monitoring_plan,
    quality_tolerance_limits,
    trial_scorecard,
)
from msctrial.monitoring.table import read_group_counts_file

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="KRI configuration YAML (default: gsm's, monitoring/kri.yaml)"),
]
SiteOption = Annotated[str | None, typer.Option("--site", help="one site's code")]

app = typer.Typer(
    help="Risk-adapted monitoring: key risk indicators, site flags.", no_args_is_help=True
)


def _flag_text(flag: int | None) -> str:
    return {None: "-", -2: "red (low)", -1: "amber (low)", 0: "green", 1: "amber", 2: "red"}[flag]


def _print_analysis(analysis: Analysis, label: str) -> None:
    typer.echo(
        f"{label}: {len(analysis.results)} group(s), {analysis.kri_type.value}, "
        f"method {analysis.method.value}, cut-points "
        + ",".join(f"{c:g}" for c in analysis.thresholds.cuts)
    )
    typer.echo(
        f"  {'group':<16} {'numerator':>10} {'denominator':>12} {'metric':>10} {'score':>8}  flag"
    )
    for r in analysis.results:
        metric = "-" if r.metric is None else f"{r.metric:.4g}"
        score = "-" if r.score is None else f"{r.score:.3f}"
        typer.echo(
            f"  {r.group:<16} {r.numerator:>10g} {r.denominator:>12g} {metric:>10} {score:>8}  "
            f"{_flag_text(r.flag)}"
        )


@app.command("analyze")
def monitor_analyze(
    csv: Annotated[Path, typer.Option("--csv", help="CSV file with a header row")],
    group: Annotated[str, typer.Option("--group", help="column naming the group (site)")],
    numerator: Annotated[str, typer.Option("--numerator", help="column of event counts")],
    denominator: Annotated[
        str, typer.Option("--denominator", help="column of units (binary) or exposure (rate)")
    ],
    kri_type: Annotated[
        KriType, typer.Option("--type", help="binary (a proportion) or rate (per exposure)")
    ],
    method: Annotated[
        Method, typer.Option("--method", help="how each group is scored against all")
    ] = Method.normal,
    thresholds: Annotated[
        str | None,
        typer.Option(
            "--thresholds",
            help="ascending cut-points T1,T2,… (default gsm's: normal -3,-2,2,3; "
            "poisson -7,-5,5,7; fisher 0.01,0.05; identity has none)",
        ),
    ] = None,
    flags: Annotated[
        str | None,
        typer.Option("--flags", help="one flag per band, e.g. -2,-1,0,1,2 (default from T)"),
    ] = None,
    min_denominator: Annotated[
        float,
        typer.Option("--min-denominator", help="below it a group gets no score and no flag"),
    ] = 0,
    as_json: JsonOption = False,
) -> None:
    """Score and flag each group of a table with gsm's method.

    Rows of one group are summed. Exit 0 when no group is flagged, 1 when one is, 2 on bad
    input (a missing column, a row that is not a number, a negative count).
    """
    cuts = parse_numbers(thresholds, "thresholds") if thresholds is not None else None
    flag_values = (
        tuple(int(f) for f in parse_numbers(flags, "flags")) if flags is not None else None
    )
    bands = thresholds_for(method, cuts, flag_values)
    counts = read_group_counts_file(csv, group, numerator, denominator)
    analysis = analyze(counts, kri_type, method, bands, Accrual(min_denominator))
    if as_json:
        print_json(analysis.to_list())
    else:
        _print_analysis(analysis, str(csv))
    for note in analysis.notes:
        typer.echo(f"note: {note}", err=True)
    raise typer.Exit(1 if any(r.flag for r in analysis.results) else 0)


def _print_report(report: KriReport) -> None:
    typer.echo(f"key risk indicators as of {report.as_of:%Y-%m-%d %H:%M} UTC")
    for spec in report.kris:
        typer.echo(f"{spec.id:<7} {spec.name} ({spec.method.value}, {spec.type.value})")
        for r in (r for r in report.rows if r.kri == spec.id):
            metric = "-" if r.metric is None else f"{r.metric:.4g}"
            score = "-" if r.score is None else f"{r.score:.3f}"
            typer.echo(
                f"  {r.site:<8} {r.numerator:>8g} / {r.denominator:<10g} {metric:>9} "
                f"{score:>8}  {_flag_text(r.flag)}"
            )
        for note in report.notes.get(spec.id, []):
            typer.echo(f"  note: {note}")
    risk = [r for r in report.rows if r.kri == RISK_SCORE_ID]
    if risk:
        typer.echo(f"{RISK_SCORE_ID:<7} Site risk score (100 × Σ flag weights / Σ maximum weights)")
    for r in risk:
        typer.echo(f"  {r.site:<8} {r.score or 0:>6.1f}")


@app.command("kri")
def monitor_kri(
    site: SiteOption = None,
    by: Annotated[str, typer.Option("--by", help="site (with the risk score) or country")] = "site",
    config: ConfigOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Every key risk indicator per site on the trial's own data, and each site's risk score.

    Read as a monitor reads: trial-wide, no arm. Exit 0 when no site is flagged, 1 when one is.
    """
    if by not in ("site", "country"):
        raise InvalidInput("by: give site or country", field="by")
    if by == "country" and site is not None:
        raise InvalidInput("site: --site and --by country do not go together", field="site")
    spec = load_config(config)
    with session_for(settings_for(db), migrate=False) as session:
        reader = terminal_reader()
        report = (
            country_indicators(session, reader, spec)
            if by == "country"
            else key_risk_indicators(session, reader, spec, site=site)
        )
    if as_json:
        rows = report.to_list()
        if by == "country":
            rows = [{("country" if k == "site" else k): v for k, v in r.items()} for r in rows]
        print_json(rows)
    else:
        _print_report(report)
    raise typer.Exit(1 if any(r.flag for r in report.rows) else 0)


def _print_scorecard(card: Scorecard) -> None:
    for part in card.parts:
        score = "-" if part.score is None else f"{part.score:.0f}"
        typer.echo(f"{part.part.replace('_', ' ')}: {score} / 100")
        for item in part.items:
            typer.echo(f"  {item.status:<5} {item.item}: {item.evidence}")


@app.command("scorecard")
def monitor_scorecard(
    config: Annotated[
        Path | None,
        typer.Option("--config", help="scorecard YAML (default: monitoring/scorecard.yaml)"),
    ] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """The five-part quality scorecard: ethics compliance, scientific design, the stem cell
    product, execution progress, execution quality, each 0-100 with its evidence.

    Exit 0 when every item passes (or is only shown), 1 when one warns or fails.
    """
    spec = load_scorecard(config)
    settings = settings_for(db)
    with session_for(settings, migrate=False) as session:
        card = trial_scorecard(session, terminal_reader(), settings, spec)
    if as_json:
        print_json(card.to_dict())
    else:
        _print_scorecard(card)
    lowered = any(i.status in ("warn", "fail") for p in card.parts for i in p.items)
    raise typer.Exit(1 if lowered else 0)


@app.command("plan")
def monitor_plan(
    site: SiteOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """The risk-adapted monitoring plan: per site its risk score, the recommended intensity
    (full source data verification, targeted verification of critical data, or remote) and
    the critical records of the plan's window to verify."""
    spec = load_config(config)
    with session_for(settings_for(db), migrate=False) as session:
        plans = monitoring_plan(session, terminal_reader(), spec, site=site)
    if as_json:
        print_json([p.to_dict() for p in plans])
        return
    typer.echo(
        f"monitoring plan: full from risk score {spec.plan.full_at:g}, targeted from "
        f"{spec.plan.targeted_at:g} or a red flag; critical records of the last "
        f"{spec.plan.recent_days} days"
    )
    for p in plans:
        flagged = ", ".join(p.flagged) or "no flag"
        typer.echo(f"{p.site:<8} risk {p.risk_score:5.1f}  {p.intensity:<9} ({flagged})")
        for c in p.critical_data:
            names = ", ".join(c.records[:5]) + (" …" if len(c.records) > 5 else "")
            typer.echo(f"  {c.data:<17} {len(c.records):>4}  {names}")


@app.command("snapshot")
def monitor_snapshot(
    config: ConfigOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Store today's KRI results (a second run today replaces them) and show the flags that
    changed since the previous snapshot."""
    spec = load_config(config)
    with session_for(settings_for(db), migrate=False) as session:
        taken = take_snapshot(session, terminal_reader(), spec)
    if as_json:
        print_json(taken.to_dict())
        return
    since = taken.previous_date.isoformat() if taken.previous_date else "none before"
    typer.echo(
        f"snapshot {taken.snapshot_date}: {taken.rows} KRI × site results stored "
        f"(previous snapshot: {since})"
    )
    for c in taken.changes:
        typer.echo(f"  {c.kri:<7} {c.site:<8} {_flag_text(c.before)} → {_flag_text(c.after)}")


@app.command("history")
def monitor_history(
    kri: Annotated[str | None, typer.Option("--kri", help="one KRI's id, e.g. AE")] = None,
    site: SiteOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """The stored KRI snapshots, oldest first: the trend of each KRI at each site."""
    with session_for(settings_for(db), migrate=False) as session:
        rows = read_history(session, terminal_reader(), kri=kri, site=site)
    if as_json:
        print_json([r.to_dict() for r in rows])
        return
    for r in rows:
        score = "-" if r.score is None else f"{r.score:.3f}"
        typer.echo(f"{r.snapshot_date}  {r.kri:<7} {r.site:<8} {score:>8}  {_flag_text(r.flag)}")


@app.command("qtl")
def monitor_qtl(
    config: ConfigOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Study-level quality tolerance limits (gsm.qtl's one-sided proportion test).

    Exit 1 when a limit is reached (flag 1) or exceeded beyond its funnel (flag 2).
    """
    spec = load_config(config)
    with session_for(settings_for(db), migrate=False) as session:
        rows = quality_tolerance_limits(session, terminal_reader(), spec)
    if as_json:
        print_json([r.to_dict() for r in rows])
    else:
        for row in rows:
            r = row.result
            metric = "-" if r.metric is None else f"{r.metric:.3f}"
            upper = "-" if r.upper is None else f"{r.upper:.3f}"
            typer.echo(
                f"{row.qtl:<6} {row.name}: {r.numerator:g}/{r.denominator:g} = {metric} "
                f"(limit {r.limit:g}, funnel {upper}) {_flag_text(r.flag)}"
            )
    raise typer.Exit(1 if any(r.result.flag for r in rows) else 0)


@app.command("records")
def monitor_records(
    kri: Annotated[str, typer.Option("--kri", help="the KRI's id, e.g. AE")],
    site: SiteOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """The records behind one KRI's numerator, per site (subject, visit, AE, query …)."""
    spec = load_config(config)
    with session_for(settings_for(db), migrate=False) as session:
        kri_spec, per_site = kri_records(session, terminal_reader(), kri, spec, site=site)
    if as_json:
        print_json(
            [
                {
                    "kri": kri_spec.id,
                    "site": s.site,
                    "numerator": s.numerator,
                    "denominator": s.denominator,
                    "records": s.records,
                }
                for s in per_site
            ]
        )
        return
    typer.echo(f"{kri_spec.id} {kri_spec.name}: {kri_spec.numerator}")
    for s in per_site:
        typer.echo(f"{s.site}: {s.numerator:g} / {s.denominator:g}")
        for record in s.records:
            typer.echo(f"  {record}")
