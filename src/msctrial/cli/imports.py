"""``msctrial import``: other systems' definitions read into msctrial's (a REDCap dictionary).

The group is registered as ``import`` (a Python keyword, so the module is ``imports``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from msctrial.cli.common import JsonOption, print_json
from msctrial.core.validation import read_text
from msctrial.exchange import read_dictionary

app = typer.Typer(help="Import other systems' definitions.", no_args_is_help=True)


def register(main: typer.Typer) -> None:
    main.add_typer(app, name="import")


@app.command("redcap-dictionary")
def redcap_dictionary(
    dictionary: Annotated[Path, typer.Argument(help="a REDCap data dictionary (CSV)")],
    out: Annotated[
        Path | None, typer.Option("--out", help="write the forms here (default: print them)")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """REDCap fields as msctrial forms (forms.yaml); names every row that did not map.

    Exit 0 when every row mapped, 1 when some did not (the forms are written all the same).
    """
    result = read_dictionary(read_text(dictionary, "dictionary"))
    text = result.to_yaml()
    if out is not None:
        out.write_text(text, encoding="utf-8")
    if as_json:
        print_json(
            {
                "forms": result.forms,
                "record_id": result.record_id,
                "unmapped": [u.__dict__ for u in result.unmapped],
            }
        )
    else:
        if out is None:
            typer.echo(text, nl=False)
        items = sum(len(f["items"]) for f in result.forms.values())
        where = f" to {out}" if out else ""
        typer.echo(f"{len(result.forms)} forms, {items} items{where}", err=out is None)
        for problem in result.unmapped:
            typer.echo(f"not mapped: {problem}", err=out is None)
    if result.unmapped:
        raise typer.Exit(1)
