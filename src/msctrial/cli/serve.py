"""``msctrial serve``: the web application on the configured database."""

from __future__ import annotations

from typing import Annotated

import typer

from msctrial.cli.common import DbOption, settings_for


def serve_app(settings, host: str, port: int) -> None:  # noqa: ANN001
    import uvicorn

    from msctrial.web.app import create_app

    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
        db: DbOption = None,
    ) -> None:
        """Serve the web app and JSON API (set MSCTRIAL_SECRET_KEY first)."""
        serve_app(settings_for(db), host, port)
