"""``msctrial audit``: the audit trail, its checkpoints and its keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from msctrial.cli.common import DbOption, JsonOption, print_json, session_for, settings_for
from msctrial.core.audit import ChainReport, verify_chain
from msctrial.core.audit_chain import Checkpoint, make_checkpoint
from msctrial.core.audit_keys import add_key, default_keyring_path
from msctrial.core.audit_records import Discrepancy, verify_records
from msctrial.core.errors import InvalidInput
from msctrial.core.validation import parse_json, read_text

app = typer.Typer(help="The audit trail.", no_args_is_help=True)

RecordsOption = Annotated[
    bool,
    typer.Option(
        "--records",
        help="also compare every audited record with the trail's last values "
        "(finds data changed with plain SQL)",
    ),
]
CheckpointOption = Annotated[
    Path | None,
    typer.Option(
        "--checkpoint",
        help="a checkpoint file from `msctrial audit checkpoint`: also prove the trail up to "
        "it is unchanged and whole",
    ),
]


def read_checkpoint(path: Path) -> Checkpoint:
    return Checkpoint.from_dict(parse_json(read_text(path, "checkpoint"), "checkpoint"))


@app.command("verify")
def audit_verify(
    db: DbOption = None,
    records: RecordsOption = False,
    checkpoint: CheckpointOption = None,
    as_json: JsonOption = False,
) -> None:
    """Recompute the keyed chain; exit 1 naming the first broken entry."""
    anchor = read_checkpoint(checkpoint) if checkpoint is not None else None
    settings = settings_for(db)
    with session_for(settings, migrate=False) as session:
        report = verify_chain(session, settings.keyring(), anchor)
        discrepancies = verify_records(session) if records else []
    ok = report.ok and not discrepancies
    if as_json:
        _print_report(report, anchor, discrepancies if records else None)
    else:
        _say_report(report, anchor, records, discrepancies)
    raise typer.Exit(0 if ok else 1)


def _print_report(
    report: ChainReport, anchor: Checkpoint | None, discrepancies: list[Discrepancy] | None
) -> None:
    data: dict[str, Any] = {
        "ok": report.ok and not discrepancies,
        "entries": report.entries,
        "legacy_entries": report.legacy,
        "key_ids": list(report.key_ids),
        "first_broken_seq": report.first_broken_seq,
        "problem": report.problem,
        "unverifiable": report.unverifiable,
    }
    if anchor is not None:
        data["checkpoint"] = {"seq": anchor.seq, "at": anchor.at, "ok": report.ok}
    if discrepancies is not None:
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


def _say_report(
    report: ChainReport, anchor: Checkpoint | None, records: bool, found: list[Discrepancy]
) -> None:
    if report.ok:
        keys = ", ".join(report.key_ids) or "none"
        legacy = (
            f"; {report.legacy} legacy SHA-256 links written before keyed links"
            if report.legacy
            else ""
        )
        typer.echo(f"audit trail intact: {report.entries} entries verified (keys: {keys}{legacy})")
        if anchor is not None:
            typer.echo(f"checkpoint of {anchor.at} holds: entries 1 to {anchor.seq} are unchanged")
    else:
        where = f" at entry {report.first_broken_seq}" if report.first_broken_seq else ""
        state = "NOT VERIFIED" if report.unverifiable else "BROKEN"
        typer.echo(f"audit trail {state}{where}: {report.problem}", err=True)
    if records and not found:
        typer.echo("every audited record matches its trail")
    for d in found:
        label = (
            "audit entry malformed"
            if d.kind == "malformed"
            else "record changed around the application"
        )
        typer.echo(f"{label}: {d}", err=True)


OutOption = Annotated[
    Path | None,
    typer.Option("--out", help="write the checkpoint to this new file (default: stdout)"),
]


@app.command("checkpoint")
def audit_checkpoint(db: DbOption = None, out: OutOption = None) -> None:
    """Write the signed head of the verified chain (sequence, link, time, key id, HMAC) for a
    third party to keep; `audit verify --checkpoint F` proves nothing up to it changed."""
    settings = settings_for(db)
    keyring = settings.keyring()
    with session_for(settings, migrate=False) as session:
        report = verify_chain(session, keyring)
        if not report.ok:
            typer.echo(f"audit trail not checkpointed: {report.problem}", err=True)
            raise typer.Exit(1)
        point = make_checkpoint(session, keyring)
    text = json.dumps(point.to_dict(), indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
        return
    try:
        with out.open("x", encoding="utf-8") as fh:
            fh.write(text)
    except FileExistsError:
        raise InvalidInput(f"--out: {out} exists; a checkpoint never overwrites one") from None
    except OSError as exc:
        raise InvalidInput(f"--out: {out} cannot be written ({exc.strerror or exc})") from None
    typer.echo(f"checkpoint of entry {point.seq} ({point.at}, key {point.key_id}) written to {out}")


@app.command("rotate-key")
def audit_rotate_key() -> None:
    """Add a new key to the audit keyring file; entries from now on are signed with it, and
    older ones still verify while their keys stay in the file."""
    settings = settings_for()
    if settings.audit_key:
        raise InvalidInput(
            "MSCTRIAL_AUDIT_KEY names the signing key itself: rotate by setting a new ID:SECRET "
            "there and moving the old one into MSCTRIAL_AUDIT_KEY_FILE",
            field="MSCTRIAL_AUDIT_KEY",
        )
    path = settings.audit_key_file or default_keyring_path()
    key_id = add_key(path)
    typer.echo(f"audit key {key_id} added to {path}; new entries are signed with it")
