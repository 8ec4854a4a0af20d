"""``msctrial report``: the statistical report as DIR/index.html with SVG figures (and
DIR/report.pdf with ``--pdf``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from msctrial.cli.analysis import ReferenceOption, StdinOption, UserOption, reader
from msctrial.cli.common import DbOption
from msctrial.core.errors import InvalidInput


def _fractions(looks: str | None) -> list[float] | None:
    if looks is None:
        return None
    try:
        return [float(part) for part in looks.split(",") if part.strip()]
    except ValueError as exc:
        raise InvalidInput(
            f"looks: {looks!r} is not a comma-separated list of numbers", field="looks"
        ) from exc


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report(
        out: Annotated[Path, typer.Option("--out", help="folder to write index.html into")],
        db: DbOption = None,
        user: UserOption = None,
        password_stdin: StdinOption = False,
        unblinded: Annotated[
            bool, typer.Option("--unblinded", help="the DSMB's closed-session report, by arm")
        ] = False,
        reference: ReferenceOption = None,
        looks: Annotated[
            str | None,
            typer.Option("--looks", help="interim looks' information fractions, e.g. 0.5,1.0"),
        ] = None,
        planned_events: Annotated[
            int | None,
            typer.Option("--planned-events", help="improvement events at the final analysis"),
        ] = None,
        pdf: Annotated[
            bool, typer.Option("--pdf", help="also print the report to DIR/report.pdf")
        ] = False,
    ) -> None:
        """Write the statistical report: blinded (pooled, no arm anywhere) unless --unblinded,
        which needs a DSMB user (--user); --pdf prints it to PDF as well."""
        from msctrial.analysis.readings import record_unblinded_report
        from msctrial.analysis.report import trial_report

        with reader(db, user, password_stdin) as (session, actor):
            html = trial_report(
                session, actor, unblinded=unblinded, reference=reference,
                looks=_fractions(looks), planned_events=planned_events,
            )  # fmt: skip
            if unblinded:
                record_unblinded_report(session, actor, "cli")
        out.mkdir(parents=True, exist_ok=True)
        (out / "index.html").write_text(html, encoding="utf-8")
        kind = "unblinded" if unblinded else "blinded"
        typer.echo(f"{out / 'index.html'}: the {kind} statistical report")
        if pdf:
            from msctrial.analysis.report_pdf import report_pdf

            (out / "report.pdf").write_bytes(report_pdf(html))
            typer.echo(f"{out / 'report.pdf'}: the same report as PDF")
