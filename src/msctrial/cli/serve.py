"""``msctrial serve``: the web application on the configured database."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from msctrial.cli.common import DbOption, settings_for
from msctrial.core.settings import Settings


def serve_app(settings: Settings, host: str, port: int, workers: int = 1) -> None:
    """Serve in this process, or in ``workers`` processes sharing the port.

    Several workers use both cores of a small server (PostgreSQL deployments). The schema is
    migrated once here, before any worker starts, so workers never race on a migration.
    """
    import uvicorn

    settings.require_secret()
    settings.require_audit_key()
    if workers <= 1:
        from msctrial.web.app import create_app

        uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
        return
    settings.require_secret()
    if settings.migrate_on_start:
        from msctrial.core.db import make_engine
        from msctrial.core.migrate import upgrade

        engine = make_engine(settings)
        try:
            upgrade(engine, settings.keyring())
        finally:
            engine.dispose()
    os.environ.update(
        MSCTRIAL_DATABASE_URL=settings.database_url,
        MSCTRIAL_SECRET_KEY=settings.secret_key,
        MSCTRIAL_DEMO="true" if settings.demo else "false",
        MSCTRIAL_MIGRATE_ON_START="false",
    )
    from uvicorn.supervisors import Multiprocess

    from msctrial.web.asgi import TcpConfig

    config = TcpConfig(
        "msctrial.web.asgi:make_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )
    Multiprocess(config, sockets=[config.bind_socket()]).run()


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
        workers: Annotated[
            int,
            typer.Option(
                help="worker processes (e.g. one per core with PostgreSQL)", min=1, max=64
            ),
        ] = 1,
        db: DbOption = None,
    ) -> None:
        """Serve the web app and JSON API (set MSCTRIAL_SECRET_KEY and, on PostgreSQL, MSCTRIAL_AUDIT_KEY first)."""
        serve_app(settings_for(db), host, port, workers)
