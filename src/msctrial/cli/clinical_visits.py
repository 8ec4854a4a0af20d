"""``msctrial clinical`` commands of part 2: forms and edit checks, overdue visits, queries,
SAE report clocks, the casebook, the form-values export and the trial simulator.

Listings read the data as a monitor sees them (trial-wide, blinded: nothing here has an arm).
Exit codes: 0 ok, 1 a finding (an overdue visit or report, an unusual value), 2 bad input.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from msctrial.cli.common import (
    DbOption,
    JsonOption,
    print_json,
    read_json_file,
    session_for,
    settings_for,
    terminal_reader,
)
from msctrial.core.errors import InvalidInput

SiteOption = Annotated[str | None, typer.Option("--site", help="site code, e.g. WUH")]


def forms(
    name: Annotated[str | None, typer.Argument(help="one form")] = None, as_json: JsonOption = False
) -> None:
    """The case report forms: items, units, hard and soft limits, and their sources."""
    from msctrial.clinical.visits.entries import form_public
    from msctrial.clinical.visits.forms import catalogue

    shown = [form_public(n) for n in ([name] if name else list(catalogue()))]
    if as_json:
        print_json([f.model_dump(mode="json") for f in shown])
        return
    for f in shown:
        typer.echo(f"{f.name}: {f.label}")
        for i in f.items:
            unit = f" [{', '.join(i.units)}]" if i.units else ""
            limits = f" hard {i.hard} soft {i.soft}" if i.hard or i.soft else ""
            flags = " (computed)" if i.derived else " *" if i.required else ""
            typer.echo(f"  {i.name:<24}{unit}{limits}{flags}")


def check_form(
    form: Annotated[str, typer.Argument(help="form name, e.g. blood_gas")],
    input_file: Annotated[
        Path, typer.Option("--input", help="JSON object: item → value or {value, unit}")
    ],
    altitude_m: Annotated[
        float | None, typer.Option(help="site altitude for the P/F correction")
    ] = None,
    pressure_mmhg: Annotated[float | None, typer.Option(help="site barometric pressure")] = None,
    as_json: JsonOption = False,
) -> None:
    """Run a form's edit checks on values from a file, without a database.

    Exit 0 when every value is usual, 1 when some would raise a query, 2 when refused.
    """
    from msctrial.clinical.subjects.severity import Air
    from msctrial.clinical.visits.edit_checks import check_form as run_checks
    from msctrial.clinical.visits.forms import get_form

    data = read_json_file(input_file)
    if not isinstance(data, dict):
        raise InvalidInput("input: give one JSON object of item → value", field="input")
    checked = run_checks(
        get_form(form), data, today=dt.date.today(), air=Air(altitude_m, pressure_mmhg)
    )
    values = {
        k: {
            "value": v.number,
            "unit": v.unit,
            "text": v.text,
            "entered": v.entered,
            "entered_unit": v.entered_unit,
            "flag": v.flag,
            "derived": v.derived,
        }
        for k, v in checked.values.items()
    }
    findings = [{"item": f.item, "message": f.message} for f in checked.findings]
    if as_json:
        print_json({"form": form, "values": values, "queries": findings})
    else:
        for k, value in checked.values.items():
            shown = f"{value.number:.4g} {value.unit}" if value.number is not None else value.text
            computed = " (computed)" if value.derived else ""
            flag = f" [{value.flag}]" if value.flag else ""
            typer.echo(f"{k:<24} {shown}{computed}{flag}")
        for f in findings:
            typer.echo(f"query: {f['item']}: {f['message']}")
    raise typer.Exit(1 if findings else 0)


def overdue(db: DbOption = None, site: SiteOption = None, as_json: JsonOption = False) -> None:
    """Missing and overdue visits, most overdue first; exit 1 when there are any."""
    from msctrial.clinical.casebook.service import missing_and_overdue

    with session_for(settings_for(db)) as session:
        rows = missing_and_overdue(session, terminal_reader(), site_code=site)
    if as_json:
        print_json([r.model_dump(mode="json") for r in rows])
    else:
        for r in rows:
            typer.echo(
                f"{r.subject:<10} {r.visit:<12} {r.state:<11} {r.days_overdue:>4} d  missing: {', '.join(r.forms_missing)}"
            )
        if not rows:
            typer.echo("no visit is missing or overdue")
    raise typer.Exit(1 if rows else 0)


def list_queries(
    db: DbOption = None,
    status: Annotated[str | None, typer.Option(help="open, answered or closed")] = "open",
    site: SiteOption = None,
    as_json: JsonOption = False,
) -> None:
    """Data queries with who raised, answered and closed them, and when."""
    from msctrial.clinical.data_queries.service import list_queries as read

    with session_for(settings_for(db)) as session:
        rows = read(session, terminal_reader(), status=status, site_code=site)
    if as_json:
        print_json([r.model_dump(mode="json") for r in rows])
        return
    for q in rows:
        where = " ".join(x for x in (q.visit, q.form, q.item) if x)
        typer.echo(
            f"#{q.id:<5} {q.subject:<10} {q.status:<9} {q.raised_at:%Y-%m-%d} {where}: {q.text}"
        )


def sae_reports(
    db: DbOption = None,
    state: Annotated[
        str | None, typer.Option(help="due, overdue, pending, submitted, submitted_late")
    ] = "pending",
    as_json: JsonOption = False,
) -> None:
    """Expedited SAE and SUSAR reports and their clocks; exit 1 when one is overdue."""
    from msctrial.clinical.safety.views import list_sae_reports

    with session_for(settings_for(db)) as session:
        rows = list_sae_reports(session, terminal_reader(), state=state)
    if as_json:
        print_json([r.model_dump(mode="json") for r in rows])
    else:
        for r in rows:
            typer.echo(
                f"{r.subject:<10} {r.state:<15} due {r.due_at:%Y-%m-%d %H:%M} UTC  {r.label}: {r.term}"
            )
    raise typer.Exit(1 if any(r.state == "overdue" for r in rows) else 0)


def casebook(
    subject: Annotated[str, typer.Argument(help="subject code, e.g. WUH-001")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """One subject's casebook: visits × forms, adverse events, queries, infusion checks."""
    from msctrial.clinical.casebook.service import casebook as read

    with session_for(settings_for(db)) as session:
        book = read(session, terminal_reader(), subject)
    if as_json:
        print_json(book.model_dump(mode="json"))
        return
    s = book.subject
    typer.echo(f"{s.code} ({s.site}) {s.status}, day 0 {s.day0_date or '—'}")
    for v in book.visits:
        entered = sum(1 for c in v.forms if c.entry_id)
        typer.echo(
            f"  {v.visit:<10} {v.state:<13} {entered}/{len(v.forms)} forms  {v.visit_date or ''}"
        )
    typer.echo(f"  adverse events: {len(book.adverse_events)}, queries: {len(book.queries)}")


def export_values(
    db: DbOption = None,
    site: SiteOption = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="CSV file (default: standard output)")
    ] = None,
) -> None:
    """Every form value as CSV: canonical value and unit, and what was typed (no arm)."""
    from msctrial.clinical.casebook.listings import export_values_csv

    with session_for(settings_for(db)) as session:
        text = export_values_csv(session, terminal_reader(), site_code=site)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"{out}: {text.count(chr(10)) - 1} values")


def simulate(
    db: DbOption = None,
    subjects: Annotated[int, typer.Option(help="patients to enrol", min=1, max=5000)] = 40,
    seed: Annotated[int, typer.Option(help="the same seed gives the same trial")] = 2020,
    effect: Annotated[float, typer.Option(help="treatment effect, 0 (none) to 1")] = 0.5,
    sites: Annotated[
        int | None,
        typer.Option(help="recruit at N sites coded S01 … SNN, added if missing", min=1, max=999),
    ] = None,
    site_fault: Annotated[
        list[str] | None,
        typer.Option(
            "--site-fault",
            help="SITE:FAULT, repeatable; faults: ae-underreport, late-entry, ineligible",
        ),
    ] = None,
) -> None:
    """Fill a training or test database with simulated patients (refused if it has subjects).

    With --sites N the patients are recruited alike at sites S01 … SNN; --site-fault makes one
    of them misbehave the way central monitoring should find (msctrial.simulation.faults):
    ae-underreport enters one non-serious AE in four, late-entry enters two forms in five
    11-30 days after the visit, ineligible randomises one patient in four although the
    screening CT shows no pneumonia.
    """
    import numpy as np

    from msctrial.simulation.config import SimulationConfig
    from msctrial.simulation.faults import numbered_sites, parse_site_faults
    from msctrial.simulation.trial import simulate_training_trial

    config = SimulationConfig(subjects=subjects, treatment_effect=effect)
    if sites is not None:
        config = dataclasses.replace(config, sites=numbered_sites(sites))
    faults = parse_site_faults(site_fault or [], config.site_codes)
    config = dataclasses.replace(config, faults=faults)
    with session_for(settings_for(db)) as session:
        result = simulate_training_trial(session, np.random.default_rng(seed), config)
    typer.echo(
        f"simulated {result.screened} screened, {result.randomised} randomised, {result.infusions} infusions, "
        f"{result.forms} forms, {result.adverse_events} adverse events ({result.serious} serious), "
        f"{result.deaths} deaths, {result.withdrawals} withdrawals"
    )


def register(app: typer.Typer) -> None:
    """Add these commands to the ``msctrial clinical`` group."""
    app.command("forms")(forms)
    app.command("check-form")(check_form)
    app.command("overdue")(overdue)
    app.command("queries")(list_queries)
    app.command("sae-reports")(sae_reports)
    app.command("casebook")(casebook)
    app.command("export-values")(export_values)
    app.command("simulate")(simulate)
