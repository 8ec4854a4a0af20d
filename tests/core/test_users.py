"""Users, roles per site or trial-wide, argon2 passwords, API tokens, login throttling.

Runs on SQLite and PostgreSQL (the ``engine`` fixture).
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from msctrial.core.actors import Actor
from msctrial.core.db import utcnow
from msctrial.core.errors import (
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    TooManyAttempts,
)
from msctrial.core.sites import add_site
from msctrial.core.tables import AuditEntry, LoginAttempt, RoleGrant, User
from msctrial.core.users import (
    actor_for_token,
    add_user,
    authenticate,
    create_token,
    get_user,
    load_actor,
    parse_grant,
    reauthenticate,
)

PASSWORD = "correct horse battery"


@pytest.fixture
def sites(session, system):
    return {code: add_site(session, system, code, f"{code} hospital") for code in ("WUH", "BJS")}


def count(session, table) -> int:  # noqa: ANN001
    return session.scalar(select(func.count()).select_from(table))


def test_a_user_holds_roles_at_a_site_or_trial_wide(session, system, sites):
    user = add_user(
        session,
        system,
        "Li.Wei",
        PASSWORD,
        full_name="Dr Li Wei",
        grants=[("investigator", "WUH"), ("monitor", None)],
    )
    actor = load_actor(session, user)
    assert actor.username == "li.wei"  # usernames are lower case
    assert actor.has_role("investigator", site_id=sites["WUH"].id)
    assert not actor.has_role("investigator", site_id=sites["BJS"].id)
    assert actor.has_role("monitor", site_id=sites["BJS"].id)  # trial-wide
    assert actor.site_scope("investigator") == frozenset({sites["WUH"].id})
    assert actor.site_scope("monitor") is None


def test_passwords_are_stored_as_argon2_hashes(session, system):
    user = add_user(session, system, "li.wei", PASSWORD)
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"username": "x"}, InvalidInput, "username"),
        ({"username": "has space"}, InvalidInput, "username"),
        ({"username": "Ünïcode"}, InvalidInput, "username"),
        ({"password": "short"}, InvalidInput, "password"),
        ({"grants": [("surgeon", None)]}, InvalidInput, "role"),
        ({"grants": [("investigator", "XYZ")]}, NotFound, "site"),
        ({"full_name": "x" * 201}, InvalidInput, "full_name"),
        ({"email": "not-an-address"}, InvalidInput, "email"),
    ],
    ids=[
        "too-short-name",
        "space",
        "non-ascii",
        "short-password",
        "unknown-role",
        "unknown-site",
        "long-full-name",
        "bad-email",
    ],
)
def test_a_bad_user_is_refused_and_nothing_is_written(
    session, factory, system, sites, kwargs, error, field
):
    args = {"username": "li.wei", "password": PASSWORD, "grants": [], **kwargs}
    entries = count(session, AuditEntry)
    with pytest.raises(error) as err:
        add_user(
            session,
            system,
            args.pop("username"),
            args.pop("password"),
            grants=args.pop("grants"),
            **args,
        )
    assert err.value.field == field
    session.rollback()
    with factory() as fresh:
        assert count(fresh, User) == 0 and count(fresh, RoleGrant) == 0
        assert count(fresh, AuditEntry) == entries


def test_an_unknown_site_lists_the_known_sites(session, system, sites):
    with pytest.raises(NotFound, match=r"known: BJS, WUH"):
        add_user(session, system, "li.wei", PASSWORD, grants=[("investigator", "XYZ")])


def test_a_username_is_taken_only_once(session, system):
    add_user(session, system, "li.wei", PASSWORD)
    with pytest.raises(Conflict, match="already taken"):
        add_user(session, system, "LI.WEI", PASSWORD)


def test_only_an_admin_adds_users(session, system, sites):
    add_user(session, system, "mon", PASSWORD, grants=[("monitor", None)])
    monitor = load_actor(session, get_user(session, "mon"))
    with pytest.raises(PermissionDenied, match="admin"):
        add_user(session, monitor, "li.wei", PASSWORD)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("investigator@WUH", ("investigator", "WUH")),
        ("Monitor", ("monitor", None)),
        (" qc @ ", ("qc", None)),
    ],
)
def test_a_grant_is_written_role_at_site(text, parsed):
    assert parse_grant(text) == parsed


def test_an_unknown_role_lists_the_roles():
    with pytest.raises(InvalidInput, match="allowed: investigator, coordinator, pharmacist"):
        parse_grant("nurse@WUH")


# --- authentication -------------------------------------------------------------------------


def test_the_right_password_logs_in(session, system, settings, sites):
    add_user(session, system, "li.wei", PASSWORD, grants=[("investigator", "WUH")])
    actor = authenticate(session, settings, " Li.Wei ", PASSWORD, "10.0.0.1")
    assert actor.username == "li.wei" and actor.roles == {"investigator"}


def test_a_refusal_is_the_same_for_an_unknown_user_a_wrong_password_and_an_inactive_user(
    session, system, settings
):
    add_user(session, system, "li.wei", PASSWORD)
    add_user(session, system, "gone", PASSWORD)
    audit_user = get_user(session, "gone")
    from msctrial.core import audit

    audit.attach(session, system)
    with audit.because(session, "left the trial"):
        audit_user.active = False
    session.commit()
    messages = set()
    for username, password in [
        ("li.wei", "wrong password"),
        ("nobody", PASSWORD),
        ("gone", PASSWORD),
    ]:
        with pytest.raises(NotAuthenticated, match=r"unknown username or wrong password") as err:
            authenticate(session, settings, username, password, f"10.0.0.{len(messages)}")
        messages.add((err.value.message, err.value.field, err.value.status))
    assert messages == {("unknown username or wrong password", None, 401)}


def test_every_attempt_is_recorded_for_throttling(session, system, settings):
    add_user(session, system, "li.wei", PASSWORD)
    with pytest.raises(NotAuthenticated, match=r"unknown username or wrong password"):
        authenticate(session, settings, "li.wei", "wrong password", "10.0.0.1")
    authenticate(session, settings, "li.wei", PASSWORD, "10.0.0.1")
    rows = session.execute(
        select(LoginAttempt.username, LoginAttempt.success).order_by(LoginAttempt.id)
    )
    assert [tuple(r) for r in rows] == [("li.wei", False), ("li.wei", True)]


def fail(session, settings, username, now, ip="10.0.0.1"):  # noqa: ANN001, ANN201
    with pytest.raises(NotAuthenticated, match=r"unknown username or wrong password"):
        authenticate(session, settings, username, "wrong password", ip, now=now)


def test_repeated_failures_are_slowed_down_with_a_doubling_wait(session, system, settings):
    add_user(session, system, "li.wei", PASSWORD)
    t0 = utcnow()
    for i in range(settings.login_max_failures):  # three failures are allowed at full speed
        fail(session, settings, "li.wei", t0 + dt.timedelta(milliseconds=i))
    last = t0 + dt.timedelta(milliseconds=settings.login_max_failures - 1)
    with pytest.raises(TooManyAttempts, match=r"too many failed logins; wait 1 s") as err:
        authenticate(session, settings, "li.wei", PASSWORD, "10.0.0.1", now=last)
    assert err.value.status == 429 and err.value.details["retry_after"] == 1
    # Once the wait is over, the next failure doubles it.
    fail(session, settings, "li.wei", last + dt.timedelta(seconds=1.5))
    with pytest.raises(TooManyAttempts, match=r"too many failed logins; wait 2 s") as err:
        authenticate(session, settings, "li.wei", PASSWORD, now=last + dt.timedelta(seconds=2))
    assert err.value.details["retry_after"] == 2
    # The right password after the wait logs in, and the count starts again.
    actor = authenticate(session, settings, "li.wei", PASSWORD, now=last + dt.timedelta(seconds=4))
    assert actor.username == "li.wei"
    fail(session, settings, "li.wei", last + dt.timedelta(seconds=5))


def test_throttling_applies_to_unknown_usernames_too(session, settings):
    t0 = utcnow()
    for i in range(settings.login_max_failures):
        fail(session, settings, "nobody", t0 + dt.timedelta(milliseconds=i), ip=f"10.0.1.{i}")
    with pytest.raises(TooManyAttempts, match=r"too many failed logins; wait 1 s"):
        authenticate(
            session, settings, "nobody", "x", "10.0.2.1", now=t0 + dt.timedelta(milliseconds=5)
        )


def test_one_address_guessing_many_usernames_is_slowed_down(session, settings):
    t0 = utcnow()
    allowance = settings.login_max_failures * 10
    for i in range(allowance):
        fail(session, settings, f"user{i}", t0 + dt.timedelta(milliseconds=i), ip="10.9.9.9")
    with pytest.raises(TooManyAttempts, match=r"too many failed logins; wait 1 s"):
        authenticate(
            session,
            settings,
            "fresh.name",
            "x",
            "10.9.9.9",
            now=t0 + dt.timedelta(milliseconds=allowance),
        )


def test_failures_older_than_the_window_are_forgotten(session, system, settings):
    add_user(session, system, "li.wei", PASSWORD)
    t0 = utcnow() - dt.timedelta(seconds=settings.login_window_s + 60)
    for i in range(settings.login_max_failures + 2):
        fail(session, settings, "li.wei", t0 + dt.timedelta(seconds=i * 10))
    assert authenticate(session, settings, "li.wei", PASSWORD, "10.0.0.1").username == "li.wei"


def test_reauthentication_is_an_e_signature(session, system):
    add_user(session, system, "li.wei", PASSWORD)
    actor = load_actor(session, get_user(session, "li.wei"))
    reauthenticate(session, actor, PASSWORD)
    with pytest.raises(NotAuthenticated, match="not signed") as err:
        reauthenticate(session, actor, "wrong")
    assert err.value.field == "password"
    with pytest.raises(NotAuthenticated, match=r"signature: no user to sign as"):
        reauthenticate(session, Actor("ghost"), PASSWORD)


# --- API tokens -----------------------------------------------------------------------------


def test_a_token_identifies_its_user_and_only_its_hash_is_stored(session, system):
    from msctrial.core.tables import ApiToken

    user = add_user(session, system, "li.wei", PASSWORD, grants=[("monitor", None)])
    raw = create_token(session, system, user, "laptop")
    assert raw.startswith("mst_") and len(raw) > 40
    assert actor_for_token(session, raw).username == "li.wei"
    stored = session.scalar(select(ApiToken))
    assert raw not in stored.token_sha256 and stored.label == "laptop"


def test_a_revoked_or_unknown_token_is_refused(session, system):
    from msctrial.core import audit
    from msctrial.core.tables import ApiToken

    user = add_user(session, system, "li.wei", PASSWORD)
    raw = create_token(session, system, user)
    token = session.scalar(select(ApiToken))
    audit.attach(session, system)
    with audit.because(session, "laptop lost"):
        token.voided_at = utcnow()
        token.void_reason = "laptop lost"
    session.commit()
    for candidate in (raw, "mst_made-up", ""):
        with pytest.raises(NotAuthenticated, match="unknown, revoked or expired"):
            actor_for_token(session, candidate)


def test_a_user_issues_tokens_for_themselves_only_an_admin_for_others(session, system):
    add_user(session, system, "li.wei", PASSWORD)
    add_user(session, system, "zhang", PASSWORD)
    li = load_actor(session, get_user(session, "li.wei"))
    assert create_token(session, li, get_user(session, "li.wei"))
    with pytest.raises(PermissionDenied, match="admin"):
        create_token(session, li, get_user(session, "zhang"))


def test_parallel_wrong_passwords_get_at_most_the_allowed_401s(
    session, factory, system, settings, monkeypatch
):
    """20 concurrent wrong passwords for one user: the check and the record are one step, so
    no more than ``login_max_failures`` are verified (401); the rest wait (429)."""
    import threading
    import time

    import msctrial.core.users as users

    add_user(session, system, "li.wei", PASSWORD)
    session.commit()
    verify = users.verify_password

    def slow_verify(hash_: str, password: str) -> bool:
        time.sleep(0.05)  # a real argon2 verify takes this long: the race's window
        return verify(hash_, password)

    monkeypatch.setattr(users, "verify_password", slow_verify)
    outcomes: list[str] = []
    start = threading.Barrier(20)

    def attempt(i: int) -> None:
        with factory() as s:
            start.wait()
            try:
                authenticate(s, settings, "li.wei", "wrong password", f"10.0.1.{i}")
            except NotAuthenticated:
                outcomes.append("401")
            except TooManyAttempts:
                outcomes.append("429")

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(outcomes) == 20
    assert outcomes.count("401") == settings.login_max_failures
    assert outcomes.count("429") == 20 - settings.login_max_failures


def test_a_role_already_held_is_refused_rather_than_granted_twice(session, system):
    from msctrial.core.errors import Conflict
    from msctrial.core.sites import add_site
    from msctrial.core.users import add_user, grant_role

    add_site(session, system, "WUH", "Wuhan")
    user = add_user(
        session, system, "li", "correct horse battery", grants=[("investigator", "WUH")]
    )
    with pytest.raises(Conflict, match="already holds investigator at WUH"):
        grant_role(session, system, user, "investigator", "WUH")
    session.rollback()
    grant_role(session, system, user, "investigator", None)  # trial-wide is another grant
    with pytest.raises(Conflict, match="already holds investigator trial-wide"):
        grant_role(session, system, user, "investigator", None)
