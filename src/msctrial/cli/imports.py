"""``msctrial import``: other systems' definitions read into msctrial's (a REDCap dictionary, a
CDISC ODM file's metadata).

The group is registered as ``import`` (a Python keyword, so the module is ``imports``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from msctrial.cli.common import JsonOption, print_json
from msctrial.core.validation import read_text
from msctrial.exchange import read_dictionary, read_odm

ODM_MAX_BYTES = 200_000_000  # an ODM file may carry clinical data beside its metadata

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


def _write(out: Path, text: str) -> None:
    """``text`` at ``out``, whole or not at all."""
    partial = out.with_name(f".{out.name}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(out)


@app.command("odm")
def odm(
    document: Annotated[Path, typer.Argument(help="a CDISC ODM 1.3.2 file (XML)")],
    out: Annotated[
        Path | None, typer.Option("--out", help="write the forms here (default: print them)")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """ODM metadata (forms, item groups, items, units, code lists, range checks, study events)
    as msctrial forms (forms.yaml); names every construct it did not map.

    The file is checked against the ODM 1.3.2 XSD first; a file that is not XML, not valid or
    declares entities is refused (exit 2, nothing written). Exit 0 when everything mapped, 1
    when something did not (the forms are written all the same).
    """
    data = read_text(document, "odm", max_bytes=ODM_MAX_BYTES).encode("utf-8")
    result = read_odm(data)
    text = result.to_yaml()
    if out is not None:
        _write(out, text)
    if as_json:
        print_json(
            {
                "study": result.study.__dict__,
                "forms": result.forms,
                "visits": list(result.visits),
                "unmapped": [u.__dict__ for u in result.unmapped],
            }
        )
    else:
        if out is None:
            typer.echo(text, nl=False)
        items = sum(len(f["items"]) for f in result.forms.values())
        where = f" to {out}" if out else ""
        typer.echo(
            f"{len(result.forms)} forms, {items} items, {len(result.visits)} visits{where}",
            err=out is None,
        )
        for problem in result.unmapped:
            typer.echo(f"not mapped: {problem}", err=out is None)
    if result.unmapped:
        raise typer.Exit(1)
