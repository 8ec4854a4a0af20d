"""``msctrial registry``: fetch, load, extract, Table 1 and the landscape report.

Exit codes: 0 every record was read; 1 some records were skipped as unreadable (each is named
on stderr with its reason), or an archive is damaged past the members it could read; 2 bad
input, or nothing readable at all. A path that cannot be read as a whole (missing, too large,
a device that never ends, a damaged archive) is one ``error:`` line, and ``load`` then stores
nothing.
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
from msctrial.registry.census import census
from msctrial.registry.census_text import landscape_text
from msctrial.registry.model import Problem
from msctrial.registry.report import write_report
from msctrial.registry.seed_landscape import compare as compare_landscape
from msctrial.registry.seed_landscape import to_text as seed_text
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
    help="The registry survey (ClinicalTrials.gov, WHO ICTRP, ChiCTR): fetch, load, extract "
    "designs, Table 1, the landscape at a date.",
    no_args_is_help=True,
)

Paths = Annotated[list[Path], typer.Argument(help="record files, folders or ZIP archives")]
AsOf = Annotated[
    str | None,
    typer.Option("--as-of", help="only trials registered on or before this date (YYYY-MM-DD)"),
]
RegistryOption = Annotated[
    list[str] | None,
    typer.Option(
        "--registry",
        help="only trials of this registry (ClinicalTrials.gov, ChiCTR, IRCT …); repeat for more",
    ),
]
MAX_SHOWN = 20


def _report_problems(
    problems: list[Problem], total: int | None = None, *, nothing_read: bool = False
) -> None:
    """Each unreadable record on stderr: ``skipped`` when others were read, ``error:`` when
    nothing could be (the command then exits 2)."""
    for p in problems[:MAX_SHOWN]:
        word = "error:" if p.fatal or nothing_read else "skipped"
        typer.echo(f"{word} {p.file}: {p.reason}", err=True)
    total = len(problems) if total is None else total
    if total > MAX_SHOWN:
        typer.echo(f"… and {total - MAX_SHOWN} more unreadable records", err=True)


def _exit_code(read: int, problems: int, fatal: list[Problem] = ()) -> int:  # type: ignore[assignment]
    if fatal:
        damaged_only = all(p.members_read for p in fatal)
        return 1 if damaged_only else 2
    if read == 0 and problems:
        return 2
    return 1 if problems else 0


def _errors(fatal: list[Problem], then: str = "") -> None:
    """One ``error:`` line per path that could not be read."""
    for k, p in enumerate(fatal):
        tail = then if k == len(fatal) - 1 else ""
        typer.echo(f"error: {p.file}: {p.reason}{tail}", err=True)


def _sqlite_file(url: str) -> Path | None:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.get_backend_name() == "sqlite" and u.database not in (None, "", ":memory:"):
        return Path(u.database)
    return None


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
    XML, a WHO ICTRP export (the COVID-19 spreadsheet .xlsx, the portal's .csv or .xml) or
    ChiCTR's own XML: files, folders or ZIP archives."""
    settings = settings_for(db)
    store = _sqlite_file(settings.database_url)
    existed = store is not None and store.exists()
    with session_for(settings) as session:

        def tick(n: int) -> None:
            if n % 50_000 == 0:
                typer.echo(f"… {n} studies read", err=True)

        report = service.load_records(
            session, Actor.system_actor(f"cli:{operator()}"), paths, on_study=tick
        )
    if report.fatal or (report.studies_read == 0 and report.problems_total):
        if store is not None and not existed:  # a store this command created, left empty
            for extra in ("", "-wal", "-shm", "-journal"):
                Path(f"{store}{extra}").unlink(missing_ok=True)
        _errors(report.fatal or list(report.problems)[:MAX_SHOWN], "; nothing stored")
        raise typer.Exit(_exit_code(report.studies_read, report.problems_total, report.fatal))
    typer.echo(
        f"read {report.studies_read} studies: {report.msc_trials} MSC trials stored, "
        f"{report.skipped} not MSC trials, {report.problems_total} unreadable records skipped"
    )
    _report_problems(
        list(report.problems), report.problems_total, nothing_read=report.studies_read == 0
    )
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
    for s in survey(paths, guidance, settings.reference_weights_kg, problems):
        d = s.extraction.design
        if as_json:
            body = json.dumps(d.to_json(), indent=2, ensure_ascii=False)
            typer.echo(("," if read else "[") + "\n" + textwrap.indent(body, "  "), nl=False)
        elif not d.is_msc_trial:
            typer.echo(f"{d.trial_id}: not an MSC trial")
        else:
            deviations = sorted({f.rule for f in d.findings if f.level == "deviation"})
            typer.echo(
                f"{d.trial_id}: {describe_source(d)}; {describe_dose(d)}; {describe_schedule(d)}; "
                + ("deviates: " + ", ".join(deviations) if deviations else "meets the guidance")
            )
        read += 1
    if as_json and (read or not problems):  # nothing at all on stdout when nothing was read
        typer.echo("\n]" if read else "[]")
    fatal = [p for p in problems if p.fatal]
    _report_problems([p for p in problems if not p.fatal], nothing_read=read == 0)
    _errors(fatal)
    raise typer.Exit(_exit_code(read, len(problems), fatal))


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
    fatal = [p for p in problems if p.fatal]
    if fatal:
        _errors(fatal)
        raise typer.Exit(_exit_code(len(found), len(problems), fatal))
    msc = [s for s in found if s.extraction.design.is_msc_trial]
    rows = [table1_row(s.study, s.extraction.design) for s in msc]
    differences = (
        [x for s in msc for x in compare_seed(s.extraction.design)] if compare_seed_table else None
    )
    typer.echo(FORMATS[fmt](rows, differences), nl=False)
    if len(found) > len(msc):
        typer.echo(f"{len(found) - len(msc)} records are not MSC trials; left out", err=True)
    _report_problems(problems, nothing_read=not found)
    raise typer.Exit(_exit_code(len(found), len(problems)))


@app.command("report")
def registry_report(
    out: Annotated[Path, typer.Option("--out", help="folder for index.html")],
    db: DbOption = None,
    as_of: AsOf = None,
    registries: RegistryOption = None,
) -> None:
    """Write the landscape report (HTML with SVG figures) of the MSC trials in the store.

    With --as-of, of the trials registered by then, each trial counted once."""
    settings = settings_for(db)
    with session_for(settings) as session:
        actor = Actor.system_actor(f"cli:{operator()}")
        items = service.stored_designs(session, actor, settings)
    if not items:
        raise InvalidInput(
            "the registry store holds no MSC trial yet; run `msctrial registry load PATH…` first"
        )
    if as_of is not None or registries:
        found = census(items, _date(as_of), registries)
        items = [(t.study, t.design) for t in found.counted]
        if not items:
            raise InvalidInput(
                f"as_of: no MSC trial in the store was registered by {as_of}"
                + (f" on {', '.join(registries or [])}" if registries else ""),
                field="as_of",
            )
    path = write_report(
        out, items, load_guidance(settings.ruleset), settings.reference_weights_kg,
        dt.datetime.now(dt.UTC),
    )  # fmt: skip
    when = f" registered by {as_of}" if as_of else ""
    typer.echo(f"{path}: landscape of {len(items)} MSC trials{when}")


@app.command("landscape")
def registry_landscape(
    db: DbOption = None,
    as_of: AsOf = None,
    registries: RegistryOption = None,
    as_json: JsonOption = False,
    seed: Annotated[
        bool,
        typer.Option(
            "--compare-seed",
            help="set the seed's counts (ClinicalTrials.gov by 2020-07-08, ChiCTR by 2020-07-05) "
            "beside the store's, with the trials behind each difference",
        ),
    ] = False,
) -> None:
    """Count the stored MSC trials registered by a date, each trial once.

    By registry, lead-site country (China or elsewhere), status, phase, product, source and
    route; a trial on two registries is merged through its secondary ids and counted once."""
    settings = settings_for(db)
    with session_for(settings, migrate=False) as session:
        items = service.stored_designs(session, Actor.system_actor(f"cli:{operator()}"), settings)
    if seed:
        lines, ct, cn = compare_landscape(items)
        if as_json:
            typer.echo(json.dumps({"seed_comparison": [x.to_json() for x in lines],
                                   "ClinicalTrials.gov": ct.to_json(), "ChiCTR": cn.to_json()},
                                  indent=2, ensure_ascii=False))  # fmt: skip
        else:
            typer.echo(seed_text(lines, ct, cn), nl=False)
        raise typer.Exit(0)
    found = census(items, _date(as_of), registries)
    if as_json:
        typer.echo(json.dumps(found.to_json(), indent=2, ensure_ascii=False))
        return
    typer.echo(landscape_text(found), nl=False)


def _date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"as_of: {text!r} is not a date; give it as YYYY-MM-DD, e.g. 2020-07-08", field="as_of"
        ) from None
