"""``msctrial protocol``: check a protocol against the expert guidance, register it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from msctrial.cli.common import (
    DbOption,
    JsonOption,
    operator,
    print_json,
    session_for,
    settings_for,
)
from msctrial.core.actors import Actor
from msctrial.core.validation import read_text
from msctrial.protocol import service
from msctrial.protocol.guidance import check_guidance, has_deviation, load_guidance
from msctrial.protocol.loader import load_protocol, load_protocol_text

app = typer.Typer(help="Trial protocols and the expert guidance.", no_args_is_help=True)

RulesetOption = Annotated[
    Path | None,
    typer.Option("--ruleset", help="another guideline's ruleset YAML (default: the seed's)"),
]


FileArgument = Annotated[Path, typer.Argument(metavar="FILE", help="protocol YAML file")]


@app.command("check")
def protocol_check(
    file: FileArgument,
    as_json: JsonOption = False,
    ruleset: RulesetOption = None,
) -> None:
    """Validate a protocol and print its expert-guidance findings.

    Exit 0 when there is no deviation, 1 when there is one, 2 when the file is invalid.
    """
    settings = settings_for(ruleset=ruleset)
    protocol = load_protocol(file)
    findings = check_guidance(
        protocol, load_guidance(settings.ruleset), settings.reference_weights_kg
    )
    if as_json:
        print_json({"findings": [f.to_dict() for f in findings]})
    elif not findings:
        typer.echo(f"{file}: no findings; the design meets every rule of the expert guidance")
    else:
        deviations = sum(f.level == "deviation" for f in findings)
        typer.echo(f"{file}: {deviations} deviation(s), {len(findings) - deviations} advice")
        for f in findings:
            typer.echo(f"  {f.level:<9} {f.rule:<24} {f.message}")
            typer.echo(f"  {'':<9} {'':<24} field: {f.field} · source: {f.source}")
    raise typer.Exit(1 if has_deviation(findings) else 0)


@app.command("load")
def protocol_load(
    file: FileArgument,
    trial: Annotated[
        str | None, typer.Option(help="trial code (default: registry id or title)")
    ] = None,
    reason: Annotated[
        str | None, typer.Option(help="why it changed (required for an amendment)")
    ] = None,
    db: DbOption = None,
) -> None:
    """Register a protocol, or a new version of a trial's protocol."""
    text = read_text(file, "file")
    load_protocol_text(text, what=file.name)  # bad input is refused before a database is made
    with session_for(settings_for(db)) as session:
        stored = service.save_protocol(
            session, Actor.system_actor(f"cli:{operator()}"), text, trial_code=trial, reason=reason
        )
        state = "saved as" if stored.created else "unchanged, still"
        typer.echo(
            f"trial {stored.trial.code}: {state} protocol version {stored.version.version_no}"
        )


@app.command("show")
def protocol_show(
    trial: Annotated[str, typer.Argument(metavar="TRIAL", help="trial code, e.g. MSC-COVID-DEMO")],
    version: Annotated[
        int | None, typer.Option(help="version number (default: the latest)")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Print a stored protocol version and its findings."""
    settings = settings_for(db)
    with session_for(settings) as session:
        stored = service.get_protocol(session, trial, version)
        findings = service.findings_for(stored.protocol, settings)
    data = {
        "trial": stored.trial.code,
        "version": stored.version.version_no,
        "protocol": stored.protocol.model_dump(mode="json"),
        "findings": [f.to_dict() for f in findings],
    }
    if as_json:
        print_json(data)
    else:
        typer.echo(f"{stored.trial.code} v{stored.version.version_no}: {stored.protocol.title}")
        for f in findings:
            typer.echo(f"  {f.level:<9} {f.rule:<24} {f.message}")
