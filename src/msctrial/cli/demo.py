"""``msctrial demo``: build the demo trial and serve it."""

from __future__ import annotations

from typing import Annotated

import typer

from msctrial.cli.common import database_url
from msctrial.cli.serve import serve_app
from msctrial.core.settings import load_settings


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        db: Annotated[
            str, typer.Option("--db", help="SQLite file (or URL) for the demo trial")
        ] = "msctrial-demo.db",
        subjects: Annotated[int, typer.Option(help="simulated patients", min=0, max=5000)] = 40,
        seed: Annotated[
            int, typer.Option(help="seed of the simulation; the same seed gives the same trial")
        ] = 2020,
        no_serve: Annotated[
            bool, typer.Option("--no-serve", help="build only, do not serve")
        ] = False,
        host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    ) -> None:
        """Build a demo trial (protocol, sites, one user per role, lots, patients) and serve it."""
        from msctrial.demo import build_demo

        settings = load_settings(database_url=database_url(db), demo=True)
        info = build_demo(settings, subjects=subjects, seed=seed)
        typer.echo(f"demo trial {info.trial_code} ready in {settings.database_url}")
        for note in info.notes:
            typer.echo(note)
        typer.echo("demo logins (username / password / roles):")
        name_w = max((len(lg.username) for lg in info.logins), default=0)
        pass_w = max((len(lg.password) for lg in info.logins), default=0)
        for login in info.logins:
            typer.echo(f"  {login.username:<{name_w}}  {login.password:<{pass_w}}  {login.roles}")
        if not no_serve:
            typer.echo(f"serving at http://{host}:{port}  (Ctrl+C to stop)")
            serve_app(settings, host, port)
