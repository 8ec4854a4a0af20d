"""``msctrial site``: the hospitals of the trial."""

from __future__ import annotations

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
from msctrial.core.sites import add_site, list_sites

app = typer.Typer(help="Sites (hospitals).", no_args_is_help=True)


@app.command("add")
def site_add(
    code: str,
    name: str,
    country: Annotated[str | None, typer.Option(help="ISO country code, e.g. CN")] = None,
    altitude_m: Annotated[
        float | None, typer.Option(help="altitude in metres (P/F altitude correction)")
    ] = None,
    pressure_mmhg: Annotated[float | None, typer.Option(help="barometric pressure in mmHg")] = None,
    timezone: Annotated[str, typer.Option(help="IANA time zone")] = "UTC",
    db: DbOption = None,
) -> None:
    """Add a site."""
    with session_for(settings_for(db)) as session:
        site = add_site(
            session,
            Actor.system_actor(f"cli:{operator()}"),
            code,
            name,
            country=country,
            altitude_m=altitude_m,
            barometric_pressure_mmhg=pressure_mmhg,
            timezone=timezone,
        )
        typer.echo(f"added site {site.code}: {site.name}")


@app.command("list")
def site_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List the sites."""
    with session_for(settings_for(db)) as session:
        sites = [
            {"code": s.code, "name": s.name, "country": s.country, "altitude_m": s.altitude_m}
            for s in list_sites(session)
        ]
    if as_json:
        print_json(sites)
    else:
        for s in sites:
            typer.echo(f"{s['code']:<8} {s['name']}")
