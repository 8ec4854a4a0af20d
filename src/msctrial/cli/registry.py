"""``msctrial registry``: fetch, load, extract, Table 1 and the landscape report.

Exit codes: 0 every record was read; 1 some records were skipped as unreadable (each is named
on stderr with its reason); 2 bad input, or nothing readable at all.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import textwrap
from pathlib import Path
from typing import Annotated

import typer

from msctrial.cli.common import DbOption, JsonOption, operator, session_for, settings_for
from msctrial.core.actors import Actor
from msctrial.core.errors import InvalidInput
from msctrial.protocol.guidance import load_guidance
from msctrial.registry import client, service
from msctrial.registry.model import Problem
from msctrial.registry.report import write_report
from msctrial.registry.survey import survey
from msctrial.registry.table1 import (
    FORMATS,
    compare_seed,
    describe_dose,
    describe_schedule,
    describe_source,
    table1_row,
)

app = typer.Typer(
    help="The ClinicalTrials.gov survey: fetch, load, extract designs, Table 1, landscape.",
    no_args_is_help=True,
)

Paths = Annotated[list[Path], typer.Argument(help="record files, folders or ZIP archives")]
MAX_SHOWN = 20


def _report_problems(problems: list[Problem], total: int | None = None) -> None:
    for p in problems[:MAX_SHOWN]:
        typer.echo(f"skipped {p.file}: {p.reason}", err=True)
    total = len(problems) if total is None else total
    if total > MAX_SHOWN:
        typer.echo(f"… and {total - MAX_SHOWN} more unreadable records", err=True)


def _exit_code(read: int, problems: int) -> int:
    if read == 0 and problems:
        return 2
    return 1 if problems else 0


@app.command("fetch")
def registry_fetch(
    out: Annotated[Path, typer.Option("--out", help="folder for the saved pages")],
    cond: Annotated[str | None, typer.Option("--cond", help="condition, as query.cond")] = None,
    intr: Annotated[str | None, typer.Option("--intr", help="intervention, as query.intr")] = None,
    term: Annotated[str | None, typer.Option("--term", help="other terms, as query.term")] = None,
    page_size: Annotated[int, typer.Option("--page-size", help="studies per page (1-1000)")] = 100,
) -> None:
    """Fetch a ClinicalTrials.gov API v2 query into a folder of pages; rerun to resume."""
    base_url = os.environ.get("MSCTRIAL_REGISTRY_API_URL", client.DEFAULT_BASE_URL)
    bar: list[object] = []

    def progress(page: int, studies: int, total: int | None) -> None:
        if not bar:
            bar.append(
                typer.progressbar(length=total or 0, label="fetching", file=sys.stderr).__enter__()
            )
        b = bar[0]
        b.update(studies - b.pos)  # type: ignore[attr-defined]

    try:
        result = client.fetch_studies(
            out, cond=cond, intr=intr, term=term, page_size=page_size, base_url=base_url,
            on_page=progress,
        )  # fmt: skip
    finally:
        if bar:
            bar[0].__exit__(None, None, None)  # type: ignore[attr-defined]
    state = "complete" if result.complete else "incomplete"
    total = f" of {result.total}" if result.total is not None else ""
    typer.echo(
        f"{out}: {result.studies}{total} studies in {result.pages} pages "
        f"({result.fetched} fetched now); {state}"
    )


@app.command("load")
def registry_load(paths: Paths, db: DbOption = None) -> None:
    """Read records into the registry store, keeping the MSC trials.

    PATH may be API v2 studies, pages or the bulk ZIP, legacy full_studies JSON or classic
    XML: files, folders or ZIP archives."""
    with session_for(settings_for(db)) as session:

        def tick(n: int) -> None:
            if n % 50_000 == 0:
                typer.echo(f"… {n} studies read", err=True)

        report = service.load_records(
            session, Actor.system_actor(f"cli:{operator()}"), paths, on_study=tick
        )
    typer.echo(
        f"read {report.studies_read} studies: {report.msc_trials} MSC trials stored, "
        f"{report.skipped} not MSC trials, {report.problems_total} unreadable records skipped"
    )
    _report_problems(list(report.problems), report.problems_total)
    raise typer.Exit(_exit_code(report.studies_read, report.problems_total))


@app.command("extract")
def registry_extract(paths: Paths, as_json: JsonOption = False) -> None:
    """Print each record's extracted MSC design, with evidence and guidance findings.

    Studies are printed as they are read (a JSON array with ``--json``), so a bulk archive
    needs no more memory than one study."""
    settings = settings_for()
    guidance = load_guidance(settings.ruleset)
    problems: list[Problem] = []
    read = 0
    if as_json:
        typer.echo("[", nl=False)
    for s in survey(paths, guidance, settings.reference_weights_kg, problems):
        d = s.extraction.design
        if as_json:
            body = json.dumps(d.to_json(), indent=2, ensure_ascii=False)
            typer.echo(("," if read else "") + "\n" + textwrap.indent(body, "  "), nl=False)
        elif not d.is_msc_trial:
            typer.echo(f"{d.nct_id}: not an MSC trial")
        else:
            deviations = sorted({f.rule for f in d.findings if f.level == "deviation"})
            typer.echo(
                f"{d.nct_id}: {describe_source(d)}; {describe_dose(d)}; {describe_schedule(d)}; "
                + ("deviates: " + ", ".join(deviations) if deviations else "meets the guidance")
            )
        read += 1
    if as_json:
        typer.echo("\n]" if read else "]")
    _report_problems(problems)
    raise typer.Exit(_exit_code(read, len(problems)))


@app.command("table1")
def registry_table1(
    paths: Paths,
    fmt: Annotated[str, typer.Option("--format", help="md, csv or json")] = "md",
    compare_seed_table: Annotated[
        bool, typer.Option("--compare-seed", help="show where the seed's Table 1 differs")
    ] = False,
) -> None:
    """The seed's Table 1 for the MSC trials among the given records."""
    if fmt not in FORMATS:
        raise InvalidInput(f"format: {fmt!r} is not one of {', '.join(FORMATS)}", field="format")
    settings = settings_for()
    guidance = load_guidance(settings.ruleset)
    problems: list[Problem] = []
    found = list(survey(paths, guidance, settings.reference_weights_kg, problems))
    msc = [s for s in found if s.extraction.design.is_msc_trial]
    rows = [table1_row(s.study, s.extraction.design) for s in msc]
    differences = (
        [x for s in msc for x in compare_seed(s.extraction.design)] if compare_seed_table else None
    )
    typer.echo(FORMATS[fmt](rows, differences), nl=False)
    if len(found) > len(msc):
        typer.echo(f"{len(found) - len(msc)} records are not MSC trials; left out", err=True)
    _report_problems(problems)
    raise typer.Exit(_exit_code(len(found), len(problems)))


@app.command("report")
def registry_report(
    out: Annotated[Path, typer.Option("--out", help="folder for index.html")],
    db: DbOption = None,
) -> None:
    """Write the landscape report (HTML with SVG figures) of the MSC trials in the store."""
    settings = settings_for(db)
    with session_for(settings) as session:
        actor = Actor.system_actor(f"cli:{operator()}")
        items = service.stored_designs(session, actor, settings)
    if not items:
        raise InvalidInput(
            "the registry store holds no MSC trial yet; run `msctrial registry load PATH…` first"
        )
    path = write_report(
        out, items, load_guidance(settings.ruleset), settings.reference_weights_kg,
        dt.datetime.now(dt.UTC),
    )  # fmt: skip
    typer.echo(f"{path}: landscape of {len(items)} MSC trials")
