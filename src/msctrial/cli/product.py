"""``msctrial product``: specifications, lots, test results, release, trace and recall.

Commands that change product data act as a named user when ``--user`` is given (password
typed, or read from stdin with ``--password-stdin``), otherwise as the terminal's operator.
Release, rejection and recall are e-signatures, so they always need ``--user`` (a QC user).
Exit codes: 0 ok, 1 a finding (a release decision that is blocked), 2 bad input or refusal.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from msctrial.cli.common import (
    DbOption,
    JsonOption,
    operator,
    print_json,
    session_for,
    settings_for,
)
from msctrial.core.actors import Actor
from msctrial.core.db import utcnow
from msctrial.core.errors import InvalidInput
from msctrial.core.settings import Settings
from msctrial.core.users import authenticate
from msctrial.core.validation import explain
from msctrial.product import service, spec_store, trace
from msctrial.product.specification import ResultInput, load_specification_text

app = typer.Typer(
    help="The cell product: specifications, lots, results, release, trace.", no_args_is_help=True
)
spec_app = typer.Typer(help="Product specifications (versioned YAML).", no_args_is_help=True)
lot_app = typer.Typer(help="Record and show lots.", no_args_is_help=True)
result_app = typer.Typer(help="Test results of a lot's inspections.", no_args_is_help=True)
app.add_typer(spec_app, name="spec")
app.add_typer(lot_app, name="lot")
app.add_typer(result_app, name="result")

UserOption = Annotated[
    str | None, typer.Option("--user", help="act (and sign) as this user; asks for the password")
]
StdinOption = Annotated[bool, typer.Option("--password-stdin", help="read the password from stdin")]


def _read(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"file: {file} does not exist", field="file") from None
    except (UnicodeDecodeError, IsADirectoryError) as exc:
        raise InvalidInput(f"file: {file} is not a UTF-8 text file ({exc})", field="file") from None


def _password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return typer.prompt("Password (e-signature)", hide_input=True)


def _actor(
    session: Session, settings: Settings, user: str | None, password_stdin: bool
) -> tuple[Actor, str]:
    """The acting user and the password they typed, or the terminal's operator."""
    if user is None:
        return Actor.system_actor(f"cli:{operator()}"), ""
    password = _password(password_stdin)
    return authenticate(session, settings, user, password, ip="cli"), password


def _signer(
    session: Session, settings: Settings, user: str | None, password_stdin: bool
) -> tuple[Actor, str]:
    if user is None:
        raise InvalidInput(
            "--user: a release, rejection or recall is signed by a QC user", field="user"
        )
    return _actor(session, settings, user, password_stdin)


def _dump(model: Any) -> Any:
    return model.model_dump(mode="json")


# --- specifications ------------------------------------------------------------------------


@spec_app.command("check")
def spec_check(file: Path, as_json: JsonOption = False) -> None:
    """Validate a specification file; exit 2 naming the wrong field."""
    spec = load_specification_text(_read(file), what=file.name)
    if as_json:
        print_json(
            {"ok": True, "name": spec.name, "version": spec.version, "tests": len(spec.tests)}
        )
        return
    typer.echo(f"{file}: {spec.ref} ({spec.kind.value}) is valid, {len(spec.tests)} tests")
    for t in spec.tests:
        typer.echo(
            f"  {t.code:<22} {t.level.value:<8} {t.category.value:<10} {t.criterion.type.value}"
        )


@spec_app.command("load")
def spec_load(
    file: Path, user: UserOption = None, password_stdin: StdinOption = False, db: DbOption = None
) -> None:
    """Store a specification version (the same text again changes nothing)."""
    text = _read(file)
    settings = settings_for(db)
    with session_for(settings) as session:
        actor, _ = _actor(session, settings, user, password_stdin)
        stored = spec_store.save_specification(session, actor, text)
    typer.echo(f"stored {stored.name}@{stored.version} ({stored.tests} tests)")


# --- lots ----------------------------------------------------------------------------------


@app.command("lots")
def lots(
    status: Annotated[
        str | None, typer.Option(help="quarantine, released, rejected or recalled")
    ] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """List lots with their status and expiry."""
    with session_for(settings_for(db)) as session:
        rows = service.list_lots(
            session, Actor.system_actor(f"cli:{operator()}"), now=utcnow(), status=status
        )
    if as_json:
        print_json([_dump(r) for r in rows])
        return
    for r in rows:
        flag = " EXPIRED" if r.expired else ""
        typer.echo(
            f"{r.code:<16} {r.product:<10} {r.kind:<8} {r.status:<10} expires {r.expires_on}{flag}"
            f"  {r.available_units}/{r.units} units available"
        )


@lot_app.command("add")
def lot_add(
    file: Path,
    user: UserOption = None,
    password_stdin: StdinOption = False,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Record a lot from a YAML lot sheet; it starts in quarantine."""
    text = _read(file)
    settings = settings_for(db)
    with session_for(settings) as session:
        actor, _ = _actor(session, settings, user, password_stdin)
        detail = service.register_lot(session, actor, text, now=utcnow())
    if as_json:
        print_json(_dump(detail))
    else:
        typer.echo(
            f"lot {detail.summary.code}: recorded in quarantine with {detail.summary.units} units"
        )


@lot_app.command("show")
def lot_show(lot: str, as_json: JsonOption = False, db: DbOption = None) -> None:
    """A lot with its tests, results and release decision."""
    with session_for(settings_for(db)) as session:
        detail = service.lot_detail(
            session, Actor.system_actor(f"cli:{operator()}"), lot, now=utcnow()
        )
    if as_json:
        print_json(_dump(detail))
        return
    s = detail.summary
    typer.echo(
        f"lot {s.code}: {s.product} {s.kind} process {s.process_version}, {s.status}, expires {s.expires_on}"
    )
    for t in detail.release.tests:
        verdict = "missing" if t.in_spec is None else ("pass" if t.in_spec else "FAIL")
        typer.echo(f"  {t.code:<22} {t.criterion:<22} {t.result or '—':<18} {verdict}")
    for b in detail.decision.blockers:
        typer.echo(f"  blocked: {b.message}")


@app.command("decision")
def decision(lot: str, as_json: JsonOption = False, db: DbOption = None) -> None:
    """Whether a lot can be released now, with every blocking reason; exit 1 when blocked."""
    with session_for(settings_for(db)) as session:
        d = service.decision_for(
            session, Actor.system_actor(f"cli:{operator()}"), lot, now=utcnow()
        )
    if as_json:
        print_json(_dump(d))
    elif d.releasable:
        typer.echo(f"lot {lot}: nothing blocks the release")
    else:
        typer.echo(f"lot {lot}: release blocked")
        for b in d.blockers:
            typer.echo(f"  {b.message}")
    raise typer.Exit(0 if d.releasable else 1)


# --- results -------------------------------------------------------------------------------


def _results_file(file: Path) -> list[ResultInput]:
    data = yaml.safe_load(_read(file))
    try:
        return TypeAdapter(list[ResultInput]).validate_python(data)
    except ValidationError as exc:
        raise explain(exc, prefix="results") from None


@result_app.command("add")
def result_add(
    lot: str,
    level: Annotated[str, typer.Option(help="quality or release")],
    test: Annotated[str | None, typer.Option(help="test code, e.g. viability")] = None,
    value: Annotated[float | None, typer.Option(help="numeric result")] = None,
    unit: Annotated[
        str | None, typer.Option(help="unit of the value (default: the test's)")
    ] = None,
    outcome: Annotated[
        str | None, typer.Option(help="negative, positive, conforms or does_not_conform")
    ] = None,
    file: Annotated[Path | None, typer.Option(help="YAML list of results instead")] = None,
    reason: Annotated[str | None, typer.Option(help="why, when replacing a result")] = None,
    user: UserOption = None,
    password_stdin: StdinOption = False,
    db: DbOption = None,
) -> None:
    """Enter one result (--test with --value/--outcome) or a file of results."""
    if file is not None:
        results = _results_file(file)
    elif test is not None:
        try:
            results = [ResultInput(test=test, value=value, unit=unit, outcome=outcome)]  # type: ignore[arg-type]
        except ValidationError as exc:
            raise explain(exc) from None
    else:
        raise InvalidInput("--test or --file: say which result to enter", field="test")
    settings = settings_for(db)
    with session_for(settings) as session:
        actor, _ = _actor(session, settings, user, password_stdin)
        detail = service.record_results(
            session, actor, lot, level, results, now=utcnow(), reason=reason
        )
    blocked = len(detail.decision.blockers)
    typer.echo(
        f"lot {lot}: {len(results)} {level} result(s) saved; {blocked} reason(s) still block release"
    )


# --- decisions -----------------------------------------------------------------------------


@app.command("release")
def release(
    lot: str, user: UserOption = None, password_stdin: StdinOption = False, db: DbOption = None
) -> None:
    """Release a lot, e-signed by a QC user; refused with every reason when blocked."""
    settings = settings_for(db)
    with session_for(settings) as session:
        actor, password = _signer(session, settings, user, password_stdin)
        service.release_lot(session, actor, lot, password=password, now=utcnow())
    typer.echo(f"lot {lot}: released, signed by {user}")


@app.command("reject")
def reject(
    lot: str,
    reason: Annotated[str, typer.Option(help="why the lot is rejected")],
    user: UserOption = None,
    password_stdin: StdinOption = False,
    db: DbOption = None,
) -> None:
    """Reject a lot in quarantine, e-signed by a QC user."""
    settings = settings_for(db)
    with session_for(settings) as session:
        actor, password = _signer(session, settings, user, password_stdin)
        service.reject_lot(session, actor, lot, password=password, reason=reason, now=utcnow())
    typer.echo(f"lot {lot}: rejected, signed by {user}")


@app.command("recall")
def recall(
    lot: str,
    reason: Annotated[str, typer.Option(help="why the lot is recalled")],
    user: UserOption = None,
    password_stdin: StdinOption = False,
    db: DbOption = None,
) -> None:
    """Recall a released lot, e-signed by a QC user; every recipient is marked for follow-up."""
    settings = settings_for(db)
    with session_for(settings) as session:
        actor, password = _signer(session, settings, user, password_stdin)
        signed = service.recall_lot(
            session, actor, lot, password=password, reason=reason, now=utcnow()
        )
    typer.echo(
        f"lot {lot}: recalled; {signed.follow_ups} recipient subject(s) marked for follow-up"
    )


@app.command("trace")
def trace_command(
    lot: Annotated[
        str | None,
        typer.Option("--lot", help="every dispensation (and, unblinded, subject) of LOT"),
    ] = None,
    subject: Annotated[
        str | None, typer.Option("--subject", help="every unit and lot SUBJECT received")
    ] = None,
    user: UserOption = None,
    password_stdin: StdinOption = False,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Trace a lot to its recipients, or a subject to the units, lots and results received."""
    if (lot is None) == (subject is None):
        raise InvalidInput("--lot or --subject: give exactly one", field="lot")
    settings = settings_for(db)
    with session_for(settings) as session:
        actor, _ = _actor(session, settings, user, password_stdin)
        if lot is not None:
            result: Any = trace.trace_lot(session, actor, lot, now=utcnow())
        else:
            assert subject is not None
            result = trace.trace_subject(session, actor, subject, now=utcnow())
    if as_json:
        print_json(_dump(result))
    elif lot is not None:
        typer.echo(f"lot {lot} ({result.lot.status}): {len(result.recipients)} unit(s) issued")
        for r in result.recipients:
            used = f"infused {r.used_at:%Y-%m-%d %H:%M}" if r.used_at else "not infused"
            typer.echo(
                f"  {r.dispensation} {r.subject_code or '':<12} {r.site_code:<5} "
                f"administration {r.administration_no}  {r.unit_code}  {used}"
            )
    else:
        typer.echo(f"subject {subject}: {len(result.units)} unit(s)")
        for u in result.units:
            typer.echo(f"  administration {u.administration_no}  {u.unit_code}  lot {u.lot_code}")
        for lr in result.lots:
            state = "passed" if lr.release.passed else "NOT passed"
            typer.echo(f"  lot {lr.lot.code}: {lr.lot.status}, release inspection {state}")
