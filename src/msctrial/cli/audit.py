"""``msctrial audit``: the audit trail."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from msctrial.cli.common import DbOption, JsonOption, print_json, session_for, settings_for
from msctrial.core.audit import verify_chain
from msctrial.core.audit_records import verify_records

app = typer.Typer(help="The audit trail.", no_args_is_help=True)

RecordsOption = Annotated[
    bool,
    typer.Option(
        "--records",
        help="also compare every audited record with the trail's last values "
        "(finds data changed with plain SQL)",
    ),
]


@app.command("verify")
def audit_verify(
    db: DbOption = None, records: RecordsOption = False, as_json: JsonOption = False
) -> None:
    """Recompute the hash chain; exit 1 naming the first broken entry."""
    with session_for(settings_for(db), migrate=False) as session:
        report = verify_chain(session)
        discrepancies = verify_records(session) if records else []
    ok = report.ok and not discrepancies
    if as_json:
        data: dict[str, Any] = {
            "ok": ok,
            "entries": report.entries,
            "first_broken_seq": report.first_broken_seq,
            "problem": report.problem,
        }
        if records:
            data["records"] = [
                {
                    "entity": d.entity,
                    "id": d.entity_id,
                    "column": d.column,
                    "recorded": d.recorded,
                    "current": d.current,
                    "kind": d.kind,
                }
                for d in discrepancies
            ]
        print_json(data)
        raise typer.Exit(0 if ok else 1)
    if report.ok:
        typer.echo(f"audit trail intact: {report.entries} entries verified")
    else:
        where = f" at entry {report.first_broken_seq}" if report.first_broken_seq else ""
        typer.echo(f"audit trail BROKEN{where}: {report.problem}", err=True)
    if records and not discrepancies:
        typer.echo("every audited record matches its trail")
    for d in discrepancies:
        label = (
            "audit entry malformed"
            if d.kind == "malformed"
            else "record changed around the application"
        )
        typer.echo(f"{label}: {d}", err=True)
    raise typer.Exit(0 if ok else 1)
