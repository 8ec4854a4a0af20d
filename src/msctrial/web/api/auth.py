"""API tokens: exchange a username and password for a bearer token."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from msctrial.core.users import authenticate, create_token, get_user
from msctrial.web.deps import ApiActor, Config, Db

router = APIRouter(prefix="/api/v1", tags=["auth"])


class TokenRequest(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)
    label: str = Field(default="api", max_length=100, description="what the token is for")


class TokenPublic(BaseModel):
    token: str
    token_type: str = "bearer"


class MePublic(BaseModel):
    username: str
    full_name: str
    roles: list[dict[str, str | None]]
    blinded: bool


@router.post("/tokens", response_model=TokenPublic, status_code=201)
def issue_token(body: TokenRequest, request: Request, db: Db, settings: Config) -> TokenPublic:
    ip = request.client.host if request.client else ""
    actor = authenticate(db, settings, body.username, body.password, ip)
    token = create_token(db, actor, get_user(db, actor.username), body.label)
    return TokenPublic(token=token)


@router.get("/me", response_model=MePublic)
def me(actor: ApiActor) -> MePublic:
    return MePublic(
        username=actor.username,
        full_name=actor.full_name,
        roles=[{"role": g.role, "site": g.site_code} for g in actor.grants],
        blinded=actor.is_blinded,
    )
