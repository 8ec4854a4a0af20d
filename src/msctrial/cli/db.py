"""``msctrial db``: database schema."""

from __future__ import annotations

import typer

from msctrial.cli.common import DbOption, settings_for
from msctrial.core.db import make_engine
from msctrial.core.migrate import current_heads, upgrade

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Apply every pending migration (also done when the server starts)."""
    settings = settings_for(db)
    engine = make_engine(settings)
    try:
        upgrade(engine)
        heads = ", ".join(sorted(current_heads(engine)))
    finally:
        engine.dispose()
    typer.echo(f"database at {settings.database_url} is up to date ({heads})")
