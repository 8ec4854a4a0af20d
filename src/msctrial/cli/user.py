"""``msctrial user``: users, roles and API tokens, and managing accounts (``core.accounts``)."""

from __future__ import annotations

import dataclasses
import sys
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
from msctrial.core import accounts
from msctrial.core.actors import Actor
from msctrial.core.users import add_user, create_token, get_user, parse_grant

app = typer.Typer(help="Users, their roles and API tokens.", no_args_is_help=True)


ReasonOption = Annotated[str, typer.Option("--reason", help="why (kept in the audit trail)")]
StdinPassword = Annotated[
    bool, typer.Option("--password-stdin", help="read the password from stdin")
]


def _operator() -> Actor:
    return Actor.system_actor(f"cli:{operator()}")


def _password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@app.command("add")
def user_add(
    username: str,
    role: Annotated[
        list[str],
        typer.Option(
            "--role", help="ROLE or ROLE@SITE, repeatable; e.g. investigator@WUH, monitor"
        ),
    ],
    full_name: Annotated[str, typer.Option("--name", help="full name")] = "",
    email: Annotated[str | None, typer.Option(help="e-mail address")] = None,
    password_stdin: StdinPassword = False,
    db: DbOption = None,
) -> None:
    """Add a user with one or more roles, each at a site or trial-wide."""
    grants = [parse_grant(r) for r in role]
    password = _password(password_stdin)
    with session_for(settings_for(db)) as session:
        user = add_user(
            session,
            Actor.system_actor(f"cli:{operator()}"),
            username,
            password,
            full_name=full_name,
            email=email,
            grants=grants,
        )
        typer.echo(f"added {user.username} with {', '.join(r for r in role)}")


@app.command("token")
def user_token(
    username: str,
    label: Annotated[str, typer.Option(help="what the token is for")] = "cli",
    db: DbOption = None,
) -> None:
    """Issue an API bearer token for a user (shown once)."""
    with session_for(settings_for(db)) as session:
        user = get_user(session, username)
        typer.echo(create_token(session, Actor.system_actor(f"cli:{operator()}"), user, label))


@app.command("list")
def user_list(as_json: JsonOption = False, db: DbOption = None) -> None:
    """Every user, active or not, with their roles and live tokens."""
    with session_for(settings_for(db)) as session:
        rows = accounts.list_accounts(session, _operator())
    if as_json:
        print_json([dataclasses.asdict(a) for a in rows])
        return
    for a in rows:
        state = "active" if a.active else "DEACTIVATED"
        roles = ", ".join(a.roles) or "no role"
        typer.echo(f"{a.username:<20} {state:<12} {roles}  ({a.live_tokens} token(s))")


@app.command("deactivate")
def user_deactivate(username: str, reason: ReasonOption, db: DbOption = None) -> None:
    """Stop a user logging in; their sessions end and their tokens are revoked at once."""
    with session_for(settings_for(db)) as session:
        accounts.deactivate(session, _operator(), username, reason=reason)
    typer.echo(f"deactivated {username}; sessions ended, tokens revoked")


@app.command("reactivate")
def user_reactivate(username: str, reason: ReasonOption, db: DbOption = None) -> None:
    """Let a deactivated user log in again (their old tokens stay revoked)."""
    with session_for(settings_for(db)) as session:
        accounts.reactivate(session, _operator(), username, reason=reason)
    typer.echo(f"reactivated {username}")


@app.command("reset-password")
def user_reset_password(
    username: str, reason: ReasonOption, password_stdin: StdinPassword = False, db: DbOption = None
) -> None:
    """Set a new password for a user; their sessions end and their tokens are revoked."""
    password = _password(password_stdin)
    with session_for(settings_for(db)) as session:
        accounts.reset_password(session, _operator(), username, password, reason=reason)
    typer.echo(f"password of {username} reset; sessions ended, tokens revoked")


@app.command("remove-role")
def user_remove_role(
    username: str,
    role: Annotated[str, typer.Argument(help="ROLE or ROLE@SITE, as it was granted")],
    reason: ReasonOption,
    db: DbOption = None,
) -> None:
    """Remove one role from a user (voided, kept in the trail); their sessions end."""
    with session_for(settings_for(db)) as session:
        accounts.remove_role(session, _operator(), username, role, reason=reason)
    typer.echo(f"removed {role} from {username}")


@app.command("tokens")
def user_tokens(username: str, as_json: JsonOption = False, db: DbOption = None) -> None:
    """A user's API tokens: id, label, when issued, and whether revoked."""
    with session_for(settings_for(db)) as session:
        rows = accounts.list_tokens(session, _operator(), username)
    if as_json:
        print_json([dataclasses.asdict(t) for t in rows])
        return
    for t in rows:
        state = "revoked" if t.revoked else "live"
        typer.echo(f"{t.id:>5}  {t.created_at:%Y-%m-%d %H:%M}  {state:<8} {t.label}")


@app.command("revoke-token")
def user_revoke_token(
    username: str,
    token_id: Annotated[int, typer.Argument(help="the id shown by `msctrial user tokens`")],
    reason: ReasonOption,
    db: DbOption = None,
) -> None:
    """Revoke one API token at once."""
    with session_for(settings_for(db)) as session:
        accounts.revoke_token(session, _operator(), username, token_id, reason=reason)
    typer.echo(f"token {token_id} of {username} revoked")


@app.command("lockouts")
def user_lockouts(as_json: JsonOption = False, db: DbOption = None) -> None:
    """Users kept out by repeated wrong passwords (theirs or someone else's)."""
    settings = settings_for(db)
    with session_for(settings) as session:
        rows = accounts.lockouts(session, _operator(), settings)
    if as_json:
        print_json([dataclasses.asdict(lk) for lk in rows])
        return
    if not rows:
        typer.echo("no user is locked out")
    for lk in rows:
        typer.echo(f"{lk.username:<20} {lk.failures} failure(s), last {lk.last_failure:%H:%M:%S}")


@app.command("unlock")
def user_unlock(username: str, db: DbOption = None) -> None:
    """Let a locked-out user try again now (the failures are kept)."""
    with session_for(settings_for(db)) as session:
        accounts.unlock(session, _operator(), username)
    typer.echo(f"unlocked {username}")
