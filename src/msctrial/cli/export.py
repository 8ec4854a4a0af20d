"""``msctrial export``: the trial's data as CDISC ODM, SDTM with Define-XML, FHIR and tidy tables.

Without ``--user`` an export reads as a monitor does: every site, blinded. ``--user`` names a
user (a pharmacist or the DSMB for an unblinded export, a site user for their sites only) and
asks for the password. Every export is recorded on the audit trail (who, what, which sites,
which files, when), so the command brings the database's schema up to date first.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from msctrial.cli.common import DbOption, session_for, settings_for, terminal_reader
from msctrial.core.actors import Actor
from msctrial.core.migrate import upgrade
from msctrial.core.users import authenticate
from msctrial.exchange import export_fhir, export_odm, export_redcap, export_sdtm, export_values
from msctrial.exchange.service import Exported

app = typer.Typer(help="Export the trial's data in standard formats.", no_args_is_help=True)

UserOption = Annotated[
    str | None,
    typer.Option(
        "--user",
        help="export as this user (a pharmacist or dsmb user sees arms); asks for the password",
    ),
]
StdinOption = Annotated[bool, typer.Option("--password-stdin", help="read the password from stdin")]


@contextmanager
def exporter(
    db: str | None, user: str | None, password_stdin: bool
) -> Iterator[tuple[Session, Actor]]:
    """A session and who exports: the named user, or a blinded trial-wide monitor."""
    settings = settings_for(db)
    with session_for(settings, migrate=False) as session:  # refuses a missing database file
        upgrade(session.get_bind().engine)
        if user is None:
            yield session, terminal_reader()
            return
        password = (
            sys.stdin.readline().rstrip("\n")
            if password_stdin
            else typer.prompt("Password", hide_input=True)
        )
        yield session, authenticate(session, settings, user, password, ip="cli")


def _report(result: Exported, what: str) -> None:
    view = "blinded" if result.blinded else "unblinded"
    for path in result.files:
        typer.echo(f"wrote {path}")
    rows = f", {result.rows} rows" if result.rows else ""
    typer.echo(
        f"{what}: {result.subjects} subjects{rows} ({view}); audit record {result.record_id}"
    )


@app.command("odm")
def odm(
    out: Annotated[Path, typer.Option("--out", help="the ODM XML file to write")],
    metadata_only: Annotated[
        bool, typer.Option("--metadata-only", help="the study definition only, no patient data")
    ] = False,
    db: DbOption = None,
    user: UserOption = None,
    password_stdin: StdinOption = False,
) -> None:
    """CDISC ODM 1.3.2: visits, forms, items with units and range checks, and clinical data."""
    with exporter(db, user, password_stdin) as (session, actor):
        result = export_odm(session, actor, out, metadata_only=metadata_only)
    _report(result, "ODM 1.3.2")


@app.command("sdtm")
def sdtm(
    out: Annotated[Path, typer.Option("--out", help="the folder to write the datasets into")],
    file_format: Annotated[str, typer.Option("--format", help="xpt (SAS XPORT v5) or csv")] = "xpt",
    db: DbOption = None,
    user: UserOption = None,
    password_stdin: StdinOption = False,
) -> None:
    """SDTM DM, EX, AE, LB and VS (SDTMIG 3.3), with a Define-XML 2.1 describing them."""
    with exporter(db, user, password_stdin) as (session, actor):
        result = export_sdtm(session, actor, out, file_format=file_format)
    _report(result, "SDTM")


@app.command("fhir")
def fhir(
    out: Annotated[Path, typer.Option("--out", help="the Bundle's JSON file to write")],
    db: DbOption = None,
    user: UserOption = None,
    password_stdin: StdinOption = False,
) -> None:
    """A FHIR R4 Bundle: ResearchStudy, ResearchSubject, pseudonymised Patient, Observations."""
    with exporter(db, user, password_stdin) as (session, actor):
        result = export_fhir(session, actor, out)
    _report(result, "FHIR R4 Bundle")


@app.command("values")
def values(
    out: Annotated[Path, typer.Option("--out", help="the CSV or Parquet file to write")],
    file_format: Annotated[str, typer.Option("--format", help="csv or parquet")] = "csv",
    layout: Annotated[
        str,
        typer.Option(
            "--layout", help="long (a row per value) or wide (a row per subject and visit)"
        ),
    ] = "long",
    site: Annotated[str | None, typer.Option("--site", help="one site's data only")] = None,
    db: DbOption = None,
    user: UserOption = None,
    password_stdin: StdinOption = False,
) -> None:
    """Every form value as a tidy table, streamed (any number of subjects in little memory)."""
    with exporter(db, user, password_stdin) as (session, actor):
        result = export_values(
            session, actor, out, file_format=file_format, layout=layout, site_code=site
        )
    _report(result, f"values ({layout} {file_format})")


@app.command("redcap")
def redcap(
    out: Annotated[Path, typer.Option("--out", help="the folder to write the REDCap files into")],
    db: DbOption = None,
    user: UserOption = None,
    password_stdin: StdinOption = False,
) -> None:
    """A REDCap project's import files: data dictionary, events, and one row per record and event."""
    with exporter(db, user, password_stdin) as (session, actor):
        result = export_redcap(session, actor, out)
    _report(result, "REDCap")
