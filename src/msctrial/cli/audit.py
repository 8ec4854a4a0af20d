"""``msctrial audit``: the audit trail."""

from __future__ import annotations

import typer

from msctrial.cli.common import DbOption, JsonOption, print_json, session_for, settings_for
from msctrial.core.audit import verify_chain

app = typer.Typer(help="The audit trail.", no_args_is_help=True)


@app.command("verify")
def audit_verify(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Recompute the hash chain; exit 1 naming the first broken entry."""
    with session_for(settings_for(db), migrate=False) as session:
        report = verify_chain(session)
    if as_json:
        print_json(
            {
                "ok": report.ok,
                "entries": report.entries,
                "first_broken_seq": report.first_broken_seq,
                "problem": report.problem,
            }
        )
    elif report.ok:
        typer.echo(f"audit trail intact: {report.entries} entries verified")
    else:
        where = f" at entry {report.first_broken_seq}" if report.first_broken_seq else ""
        typer.echo(f"audit trail BROKEN{where}: {report.problem}", err=True)
    raise typer.Exit(0 if report.ok else 1)
