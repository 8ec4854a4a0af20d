"""``msctrial db upgrade``, ``site add|list``, ``user add|token`` on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from msctrial.core.tables import RoleGrant, User
from msctrial.core.users import actor_for_token
from tests.cli.conftest import assert_one_plain_error, run_program

PASSWORD = "a long enough password"


@pytest.fixture
def with_sites(cli, db_url):  # noqa: ANN001, ANN201
    for code in ("WUH", "BJS"):
        assert cli("site", "add", code, f"{code} hospital", "--db", db_url).code == 0
    return db_url


def users(db_url: str) -> dict[str, list[tuple[str, str | None]]]:
    engine = create_engine(db_url)
    try:
        with Session(engine) as s:
            out = {}
            for user in s.scalars(select(User)):
                out[user.username] = sorted(
                    (g.role, g.site.code if g.site else None) for g in user.grants
                )
            return out
    finally:
        engine.dispose()


def test_db_upgrade_creates_the_schema_and_is_repeatable(cli, db_url):
    first = cli("db", "upgrade", "--db", db_url)
    assert first.code == 0 and "is up to date (" in first.out
    assert cli("db", "upgrade", "--db", db_url).out == first.out


def test_sites_are_added_and_listed(cli, with_sites):
    listed = json.loads(cli("site", "list", "--db", with_sites, "--json").out)
    assert [s["code"] for s in listed] == ["BJS", "WUH"]
    assert_one_plain_error(cli("site", "add", "WUH", "again", "--db", with_sites), "already exists")
    assert_one_plain_error(cli("site", "add", "W", "too short", "--db", with_sites), "site code")
    assert_one_plain_error(
        cli("site", "add", "HIGH", "x", "--altitude-m", "9000", "--db", with_sites), "altitude_m"
    )


def test_user_add_with_roles_per_site_and_trial_wide_reading_the_password_from_stdin(
    cli, with_sites
):
    result = cli(
        "user",
        "add",
        "li.wei",
        "--role",
        "investigator@WUH",
        "--role",
        "monitor",
        "--name",
        "Dr Li Wei",
        "--password-stdin",
        "--db",
        with_sites,
        stdin=PASSWORD + "\n",
    )
    assert result.code == 0 and "added li.wei with investigator@WUH, monitor" in result.out
    assert users(with_sites) == {"li.wei": [("investigator", "WUH"), ("monitor", None)]}
    engine = create_engine(with_sites)
    with Session(engine) as s:
        assert s.scalar(select(User.password_hash)).startswith("$argon2id$")
    engine.dispose()


def test_user_add_prompts_for_the_password_twice_when_not_piped(with_sites):
    result = run_program(
        "user",
        "add",
        "zhang",
        "--role",
        "coordinator@BJS",
        "--db",
        with_sites,
        stdin=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.code == 0, result
    assert users(with_sites)["zhang"] == [("coordinator", "BJS")]


@pytest.mark.parametrize(
    ("args", "stdin", "fragments"),
    [
        (["--role", "investigator@XYZ"], PASSWORD, ["unknown site code 'XYZ'", "known: BJS, WUH"]),
        (["--role", "nurse@WUH"], PASSWORD, ["'nurse' is not a role", "allowed: investigator"]),
        (["--role", "monitor"], "short", ["at least 12 characters"]),
        (["--role", "monitor"], "", ["at least 12 characters"]),
    ],
    ids=["unknown-site", "unknown-role", "short-password", "empty-password"],
)
def test_a_bad_user_is_one_plain_error_and_nothing_is_written(
    cli, with_sites, args, stdin, fragments
):
    result = cli(
        "user", "add", "li.wei", *args, "--password-stdin", "--db", with_sites, stdin=stdin + "\n"
    )
    assert_one_plain_error(result, *fragments)
    assert users(with_sites) == {}
    engine = create_engine(with_sites)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(RoleGrant)) == 0
    engine.dispose()


def test_a_role_is_required(cli, with_sites):
    result = cli("user", "add", "li.wei", "--password-stdin", "--db", with_sites, stdin=PASSWORD)
    assert (
        result.code == 2
        and "Missing option '--role'" in result.err
        and "Traceback" not in result.err
    )


def test_a_username_is_taken_once(cli, with_sites):
    args = ["user", "add", "li.wei", "--role", "monitor", "--password-stdin", "--db", with_sites]
    assert cli(*args, stdin=PASSWORD).code == 0
    assert_one_plain_error(cli(*args, stdin=PASSWORD), "already taken")


def test_user_token_prints_a_working_token_once(cli, with_sites):
    cli(
        "user",
        "add",
        "li.wei",
        "--role",
        "monitor",
        "--password-stdin",
        "--db",
        with_sites,
        stdin=PASSWORD,
    )
    result = cli("user", "token", "li.wei", "--label", "laptop", "--db", with_sites)
    token = result.out.strip()
    assert result.code == 0 and token.startswith("mst_")
    engine = create_engine(with_sites)
    with Session(engine) as s:
        assert actor_for_token(s, token).username == "li.wei"
    engine.dispose()
    assert_one_plain_error(
        cli("user", "token", "nobody", "--db", with_sites), "no user named 'nobody'"
    )


def test_serve_refuses_the_placeholder_secret_before_listening(cli, db_url, monkeypatch):
    import uvicorn

    monkeypatch.delenv("MSCTRIAL_SECRET_KEY", raising=False)
    monkeypatch.delenv("MSCTRIAL_DEMO", raising=False)

    def must_not_listen(*args, **kwargs):  # noqa: ANN002, ANN003
        raise AssertionError("serve listened with the placeholder secret")

    monkeypatch.setattr(uvicorn, "run", must_not_listen)
    assert_one_plain_error(cli("serve", "--db", db_url), "MSCTRIAL_SECRET_KEY", "at least 32")
