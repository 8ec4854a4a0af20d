"""Managing accounts: every change audited, and ending at once the sessions and tokens it must.

Runs on SQLite and PostgreSQL (the ``engine`` fixture).
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from msctrial.core import accounts
from msctrial.core.db import utcnow
from msctrial.core.errors import (
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ReasonRequired,
    TooManyAttempts,
)
from msctrial.core.passwords import password_problems
from msctrial.core.sites import add_site
from msctrial.core.tables import ApiToken, AuditEntry
from msctrial.core.users import (
    actor_for_token,
    add_user,
    authenticate,
    create_token,
    get_user,
    load_actor,
)
from msctrial.core.web_sessions import session_user, start_session

PASSWORD = "correct horse battery"
NEW = "another long passphrase"


@pytest.fixture
def li(session, system):  # noqa: ANN001, ANN201
    add_site(session, system, "WUH", "WUH hospital")
    return add_user(
        session, system, "li.wei", PASSWORD, grants=[("investigator", "WUH"), ("monitor", None)]
    )


def _live(session, settings, raw_session: str, raw_token: str) -> tuple[bool, bool]:  # noqa: ANN001
    """Whether the browser session and the API token still work."""
    browser = session_user(session, settings, raw_session) is not None
    try:
        actor_for_token(session, raw_token)
        api = True
    except NotAuthenticated:
        api = False
    session.rollback()
    return browser, api


def _session_and_token(session, system, user) -> tuple[str, str]:  # noqa: ANN001
    return start_session(session, user.id), create_token(session, system, user, "laptop")


@pytest.mark.parametrize(
    ("password", "username", "problem"),
    [
        ("short pass", "", "at least 12 characters"),
        ("Zhang.Wei.Ming", "zhang-wei-ming", "must not be the username"),
        ("gnim.iew.gnahz", "zhang.wei.ming", "must not be the username"),
        ("Password123", "", "at least 12"),
        ("PASSWORD123456", "", "most commonly used"),  # a common word with digits after it
        ("1qaz2wsx3edc", "", "most commonly used"),
        ("iloveyou123456", "", "most commonly used"),
        ("x" * 201, "", "at most 200"),
    ],
)
def test_the_password_policy_names_each_problem(password, username, problem):
    assert any(problem in p for p in password_problems(password, username))


def test_a_long_uncommon_password_passes_the_policy():
    assert password_problems("correct horse battery", "li.wei") == []


def test_a_new_user_with_a_weak_password_is_refused_and_not_created(session, system):
    with pytest.raises(InvalidInput, match=r"password: must be at least 12 characters"):
        add_user(session, system, "zhang", "short")
    session.rollback()
    with pytest.raises(NotFound):
        get_user(session, "zhang")


def test_deactivation_ends_sessions_and_revokes_tokens_at_once(session, settings, system, li):
    raw_session, raw_token = _session_and_token(session, system, li)
    assert _live(session, settings, raw_session, raw_token) == (True, True)
    accounts.deactivate(session, system, "li.wei", reason="left the hospital")
    assert _live(session, settings, raw_session, raw_token) == (False, False)
    with pytest.raises(NotAuthenticated):
        authenticate(session, settings, "li.wei", PASSWORD)
    session.rollback()
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "app_user").order_by(AuditEntry.seq.desc())
    ).first()
    assert entry is not None and entry.reason == "left the hospital"
    with pytest.raises(Conflict, match="already deactivated"):
        accounts.deactivate(session, system, "li.wei", reason="again")
    session.rollback()
    accounts.reactivate(session, system, "li.wei", reason="came back")
    assert authenticate(session, settings, "li.wei", PASSWORD).username == "li.wei"
    assert _live(session, settings, raw_session, raw_token) == (False, False)  # old ones stay dead


def test_a_reset_password_works_and_the_old_one_and_its_sessions_do_not(
    session, settings, system, li
):
    raw_session, raw_token = _session_and_token(session, system, li)
    with pytest.raises(ReasonRequired):
        accounts.reset_password(session, system, "li.wei", NEW, reason=" ")
    with pytest.raises(InvalidInput, match="most commonly used"):
        accounts.reset_password(session, system, "li.wei", "password123456", reason="forgot")
    session.rollback()
    accounts.reset_password(session, system, "li.wei", NEW, reason="forgot it")
    assert _live(session, settings, raw_session, raw_token) == (False, False)
    assert authenticate(session, settings, "li.wei", NEW).username == "li.wei"
    with pytest.raises(NotAuthenticated):
        authenticate(session, settings, "li.wei", PASSWORD)


def test_a_user_changes_their_own_password_only_with_the_current_one(session, settings, system, li):
    me = load_actor(session, li)
    raw_session, raw_token = _session_and_token(session, system, li)
    with pytest.raises(NotAuthenticated, match="current password is wrong"):
        accounts.change_password(session, me, "not my password", NEW)
    session.rollback()
    accounts.change_password(session, me, PASSWORD, NEW)
    # the sessions end; the user's own tokens stay, since the account is still theirs
    assert _live(session, settings, raw_session, raw_token) == (False, True)
    assert authenticate(session, settings, "li.wei", NEW).username == "li.wei"


def test_removing_a_role_voids_the_grant_and_ends_the_sessions(session, settings, system, li):
    raw_session, _ = _session_and_token(session, system, li)
    accounts.remove_role(session, system, "li.wei", "investigator@WUH", reason="moved wards")
    assert [g.role for g in load_actor(session, get_user(session, "li.wei")).grants] == ["monitor"]
    assert session_user(session, settings, raw_session) is None
    with pytest.raises(NotFound, match=r"does not hold 'investigator@WUH'"):
        accounts.remove_role(session, system, "li.wei", "investigator@WUH", reason="again")
    with pytest.raises(InvalidInput, match="is not a role"):
        accounts.remove_role(session, system, "li.wei", "surgeon", reason="x")


def test_one_token_is_revoked_and_the_others_keep_working(session, system, li):
    first = create_token(session, system, li, "laptop")
    second = create_token(session, system, li, "script")
    ids = [t.id for t in accounts.list_tokens(session, system, "li.wei")]
    accounts.revoke_token(session, system, "li.wei", ids[0], reason="laptop lost")
    with pytest.raises(NotAuthenticated, match="revoked"):
        actor_for_token(session, first)
    assert actor_for_token(session, second).username == "li.wei"
    assert [t.revoked for t in accounts.list_tokens(session, system, "li.wei")] == [True, False]
    with pytest.raises(NotFound, match="has no token 999"):
        accounts.revoke_token(session, system, "li.wei", 999, reason="x")


def test_a_token_older_than_its_lifetime_no_longer_works(session, system, li):
    raw = create_token(session, system, li, "old")
    assert actor_for_token(session, raw, max_age_days=90).username == "li.wei"
    session.execute(update(ApiToken).values(created_at=utcnow() - dt.timedelta(days=91)))
    session.commit()
    with pytest.raises(NotAuthenticated, match="expired"):
        actor_for_token(session, raw, max_age_days=90)


def test_only_an_administrator_manages_other_accounts(session, system, li):
    monitor = load_actor(session, li)
    add_user(session, system, "zhang", PASSWORD)
    for call in (
        lambda: accounts.deactivate(session, monitor, "zhang", reason="x"),
        lambda: accounts.reset_password(session, monitor, "zhang", NEW, reason="x"),
        lambda: accounts.remove_role(session, monitor, "zhang", "monitor", reason="x"),
        lambda: accounts.list_accounts(session, monitor),
        lambda: accounts.list_tokens(session, monitor, "zhang"),
    ):
        with pytest.raises(PermissionDenied, match="you need the role admin"):
            call()


def test_a_lockout_is_shown_to_the_administrator_and_can_be_lifted(session, settings, system, li):
    for _ in range(settings.login_max_failures):
        with pytest.raises(NotAuthenticated):
            authenticate(session, settings, "li.wei", "someone else guessing")
    with pytest.raises(TooManyAttempts):
        authenticate(session, settings, "li.wei", PASSWORD)
    (lockout,) = accounts.lockouts(session, system, settings)
    assert (lockout.username, lockout.failures) == ("li.wei", settings.login_max_failures)
    accounts.unlock(session, system, "li.wei")
    assert accounts.lockouts(session, system, settings) == []
    assert authenticate(session, settings, "li.wei", PASSWORD).username == "li.wei"


def test_the_account_list_shows_state_roles_and_live_tokens(session, system, li):
    create_token(session, system, li, "laptop")
    (row,) = [a for a in accounts.list_accounts(session, system) if a.username == "li.wei"]
    assert (row.active, row.roles, row.live_tokens) == (True, ("investigator@WUH", "monitor"), 1)


def test_an_administrator_cannot_deactivate_themself_or_drop_their_own_admin_role(session, system):
    boss = load_actor(
        session, add_user(session, system, "boss", PASSWORD, grants=[("admin", None)])
    )
    with pytest.raises(Conflict, match="cannot deactivate your own account"):
        accounts.deactivate(session, boss, "boss", reason="leaving")
    with pytest.raises(Conflict, match="cannot remove your own admin role"):
        accounts.remove_role(session, boss, "boss", "admin", reason="leaving")
    session.rollback()
    assert get_user(session, "boss").active
    accounts.deactivate(session, system, "boss", reason="another administrator does it")
    assert not get_user(session, "boss").active
