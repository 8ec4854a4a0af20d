"""``msctrial user``: users, roles and API tokens."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from msctrial.cli.common import DbOption, operator, session_for, settings_for
from msctrial.core.actors import Actor
from msctrial.core.users import add_user, create_token, get_user, parse_grant

app = typer.Typer(help="Users, their roles and API tokens.", no_args_is_help=True)


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
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from stdin")
    ] = False,
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
