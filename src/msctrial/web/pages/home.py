"""The home page: what this user can do, by role."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from msctrial.protocol import service as protocols
from msctrial.web.deps import Db, PageActor
from msctrial.web.layout import render

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request, db: Db, actor: PageActor) -> Response:
    trials = protocols.list_trials(db)
    return render(request, "home.html", {"trials": trials}, actor=actor)
