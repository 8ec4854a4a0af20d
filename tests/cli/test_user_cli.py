"""``msctrial user list|deactivate|reactivate|reset-password|remove-role|tokens|revoke-token|
lockouts|unlock`` on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import assert_one_plain_error

PASSWORD = "a long enough password"


@pytest.fixture
def li(cli, db_url):  # noqa: ANN001, ANN201
    assert cli("site", "add", "WUH", "WUH hospital", "--db", db_url).code == 0
    added = cli(
        "user",
        "add",
        "li.wei",
        "--role",
        "investigator@WUH",
        "--role",
        "monitor",
        "--password-stdin",
        "--db",
        db_url,
        stdin=PASSWORD + "\n",
    )
    assert added.code == 0, added.err
    return db_url


def _account(cli, db: str) -> dict:  # noqa: ANN001
    (row,) = [a for a in json.loads(cli("user", "list", "--json", "--db", db).out)]
    return row


def test_a_user_is_deactivated_and_reactivated_from_the_terminal(cli, li):
    assert cli("user", "token", "li.wei", "--db", li).code == 0
    assert _account(cli, li)["live_tokens"] == 1
    done = cli("user", "deactivate", "li.wei", "--reason", "left", "--db", li)
    assert done.code == 0 and "tokens revoked" in done.out
    assert _account(cli, li) | {"roles": None} == {
        "username": "li.wei",
        "full_name": "",
        "active": False,
        "roles": None,
        "live_tokens": 0,
    }
    assert_one_plain_error(
        cli("user", "deactivate", "li.wei", "--reason", "again", "--db", li), "already deactivated"
    )
    assert cli("user", "reactivate", "li.wei", "--reason", "back", "--db", li).code == 0
    assert _account(cli, li)["active"] is True


def test_a_password_reset_applies_the_policy_and_needs_a_reason(cli, li):
    weak = cli(
        "user", "reset-password", "li.wei", "--reason", "forgot", "--password-stdin",
        "--db", li, stdin="password123456\n",
    )  # fmt: skip
    assert_one_plain_error(weak, "password: is one of the most commonly used passwords")
    blank = cli(
        "user", "reset-password", "li.wei", "--reason", " ", "--password-stdin",
        "--db", li, stdin="a fresh long passphrase\n",
    )  # fmt: skip
    assert_one_plain_error(blank, "a reason is required to reset a password")
    ok = cli(
        "user", "reset-password", "li.wei", "--reason", "forgot", "--password-stdin",
        "--db", li, stdin="a fresh long passphrase\n",
    )  # fmt: skip
    assert ok.code == 0 and "sessions ended" in ok.out


def test_a_role_is_removed_and_a_role_not_held_is_named(cli, li):
    removed = cli("user", "remove-role", "li.wei", "monitor", "--reason", "moved", "--db", li)
    assert removed.code == 0
    assert _account(cli, li)["roles"] == ["investigator@WUH"]
    assert_one_plain_error(
        cli("user", "remove-role", "li.wei", "monitor", "--reason", "again", "--db", li),
        "does not hold 'monitor'",
    )


def test_one_token_is_listed_and_revoked(cli, li):
    cli("user", "token", "li.wei", "--label", "laptop", "--db", li)
    cli("user", "token", "li.wei", "--label", "script", "--db", li)
    tokens = json.loads(cli("user", "tokens", "li.wei", "--json", "--db", li).out)
    assert [(t["label"], t["revoked"]) for t in tokens] == [("laptop", False), ("script", False)]
    first = str(tokens[0]["id"])
    assert cli("user", "revoke-token", "li.wei", first, "--reason", "lost", "--db", li).code == 0
    tokens = json.loads(cli("user", "tokens", "li.wei", "--json", "--db", li).out)
    assert [t["revoked"] for t in tokens] == [True, False]
    assert_one_plain_error(
        cli("user", "revoke-token", "li.wei", "9999", "--reason", "x", "--db", li),
        "has no token 9999",
    )


def test_no_lockout_is_reported_plainly_and_unlock_names_an_unknown_user(cli, li):
    listed = cli("user", "lockouts", "--db", li)
    assert listed.code == 0 and "no user is locked out" in listed.out
    assert cli("user", "unlock", "li.wei", "--db", li).code == 0
    assert_one_plain_error(cli("user", "unlock", "nobody", "--db", li), "no user named 'nobody'")
