"""Account management over the API: for administrators, and a user's own password and tokens.

Thin: each route is one call of ``core.accounts``, which authorises, audits and ends the
sessions and tokens a change must end.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from fastapi import APIRouter
from pydantic import BaseModel, Field

from msctrial.core import accounts
from msctrial.web.deps import ApiActor, Config, Db, RecordId

router = APIRouter(prefix="/api/v1", tags=["accounts"])


class AccountPublic(BaseModel):
    username: str
    full_name: str
    active: bool
    roles: list[str]
    live_tokens: int


class TokenInfoPublic(BaseModel):
    id: int
    label: str
    created_at: dt.datetime
    revoked: bool


class LockoutPublic(BaseModel):
    username: str
    failures: int
    last_failure: dt.datetime


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="why; kept in the audit trail")


class ResetIn(ReasonIn):
    password: str = Field(max_length=200, description="the new password (policy applies)")


class RoleIn(ReasonIn):
    role: str = Field(max_length=100, description="ROLE or ROLE@SITE, as granted")


class PasswordChangeIn(BaseModel):
    old_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=200)


class Done(BaseModel):
    ok: bool = True


@router.get("/users", response_model=list[AccountPublic])
def list_users(db: Db, actor: ApiActor) -> list[AccountPublic]:
    return [
        AccountPublic(**dataclasses.asdict(a) | {"roles": list(a.roles)})
        for a in accounts.list_accounts(db, actor)
    ]


@router.get("/users/lockouts", response_model=list[LockoutPublic])
def lockouts(db: Db, actor: ApiActor, settings: Config) -> list[LockoutPublic]:
    return [
        LockoutPublic(**dataclasses.asdict(lk)) for lk in accounts.lockouts(db, actor, settings)
    ]


@router.post("/users/{username}/deactivate", response_model=Done)
def deactivate(username: str, body: ReasonIn, db: Db, actor: ApiActor) -> Done:
    accounts.deactivate(db, actor, username, reason=body.reason)
    return Done()


@router.post("/users/{username}/reactivate", response_model=Done)
def reactivate(username: str, body: ReasonIn, db: Db, actor: ApiActor) -> Done:
    accounts.reactivate(db, actor, username, reason=body.reason)
    return Done()


@router.post("/users/{username}/password", response_model=Done)
def reset_password(username: str, body: ResetIn, db: Db, actor: ApiActor) -> Done:
    accounts.reset_password(db, actor, username, body.password, reason=body.reason)
    return Done()


@router.post("/users/{username}/roles/remove", response_model=Done)
def remove_role(username: str, body: RoleIn, db: Db, actor: ApiActor) -> Done:
    accounts.remove_role(db, actor, username, body.role, reason=body.reason)
    return Done()


@router.post("/users/{username}/unlock", response_model=Done)
def unlock(username: str, db: Db, actor: ApiActor) -> Done:
    accounts.unlock(db, actor, username)
    return Done()


@router.get("/users/{username}/tokens", response_model=list[TokenInfoPublic])
def tokens(username: str, db: Db, actor: ApiActor) -> list[TokenInfoPublic]:
    return [
        TokenInfoPublic(**dataclasses.asdict(t)) for t in accounts.list_tokens(db, actor, username)
    ]


@router.post("/users/{username}/tokens/{token_id}/revoke", response_model=Done)
def revoke_token(
    username: str, token_id: RecordId, body: ReasonIn, db: Db, actor: ApiActor
) -> Done:
    accounts.revoke_token(db, actor, username, token_id, reason=body.reason)
    return Done()


@router.post("/me/password", response_model=Done)
def change_password(body: PasswordChangeIn, db: Db, actor: ApiActor) -> Done:
    accounts.change_password(db, actor, body.old_password, body.new_password)
    return Done()
