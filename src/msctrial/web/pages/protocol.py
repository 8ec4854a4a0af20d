"""Protocol pages: the design, arms, schedule and expert-guidance findings of a trial, and the
admin's form to register a protocol or upload a new version of it with a reason."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from msctrial.core.actors import Actor
from msctrial.core.errors import InvalidInput, MsctrialError
from msctrial.core.settings import Settings
from msctrial.core.validation import MAX_BYTES
from msctrial.protocol import service
from msctrial.web.deps import Config, CsrfProtected, Db, OptionalRecordId, PageActor
from msctrial.web.layout import render

router = APIRouter(include_in_schema=False, dependencies=[CsrfProtected])


@router.get("/protocol")
def current_protocol(request: Request, db: Db, actor: PageActor) -> Response:
    """The deployment's trial; the list of trials when there are several; a start when none."""
    trials = service.list_trials(db)
    if len(trials) == 1:
        return RedirectResponse(f"/protocols/{trials[0][0].code}", status_code=303)
    if trials:
        return RedirectResponse("/", status_code=303)
    return render(request, "protocol/none.html", {"can_upload": _can_upload(actor)}, actor=actor)


@router.get("/protocols/{trial}")
def protocol_page(
    request: Request,
    trial: str,
    db: Db,
    actor: PageActor,
    settings: Config,
    version: OptionalRecordId = None,
    saved: OptionalRecordId = None,
) -> Response:
    return _detail(request, db, actor, settings, trial, version, saved=saved)


@router.post("/protocols")
async def register_protocol(
    request: Request,
    db: Db,
    actor: PageActor,
    trial: Annotated[str, Form()] = "",
    yaml_text: Annotated[str, Form()] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Register the first protocol of a trial (admin)."""
    try:
        text = await _uploaded_text(file, yaml_text)
        stored = service.save_protocol(db, actor, text, trial_code=trial.strip() or None)
    except MsctrialError as exc:
        if exc.status != 422:
            raise
        context = {"can_upload": _can_upload(actor), "error": exc, "form": {"trial": trial}}
        return render(request, "protocol/none.html", context, actor=actor, status=422)
    return RedirectResponse(
        f"/protocols/{stored.trial.code}?saved={stored.version.version_no}", status_code=303
    )


@router.post("/protocols/{trial}/versions")
async def upload_version(
    request: Request,
    trial: str,
    db: Db,
    actor: PageActor,
    settings: Config,
    reason: Annotated[str, Form()] = "",
    yaml_text: Annotated[str, Form()] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Save a changed protocol as a new version; the reason is required and kept."""
    service.get_trial(db, trial)  # an unknown trial is a 404, not a new trial
    try:
        text = await _uploaded_text(file, yaml_text)
        stored = service.save_protocol(db, actor, text, trial_code=trial, reason=reason)
    except MsctrialError as exc:
        if exc.status != 422:
            raise
        db.rollback()
        form = {"reason": reason, "yaml_text": yaml_text}
        return _detail(request, db, actor, settings, trial, None, error=exc, form=form)
    return RedirectResponse(
        f"/protocols/{trial}?saved={stored.version.version_no}", status_code=303
    )


def _detail(
    request: Request,
    db: Session,
    actor: Actor,
    settings: Settings,
    trial: str,
    version: int | None,
    *,
    saved: int | None = None,
    error: MsctrialError | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    stored = service.get_protocol(db, trial, version)
    findings = service.findings_for(stored.protocol, settings)
    context: dict[str, Any] = {
        "stored": stored,
        "p": stored.protocol,
        "findings": findings,
        "deviations": [f for f in findings if f.level == "deviation"],
        "versions": service.list_versions(db, trial),
        "can_upload": _can_upload(actor),
        "saved": saved,
        "error": error,
        "form": form or {},
    }
    return render(
        request, "protocol/detail.html", context, actor=actor, status=422 if error else 200
    )


def _can_upload(actor: Actor) -> bool:
    return actor.has_role("admin")


async def _uploaded_text(file: UploadFile | None, pasted: str) -> str:
    """The protocol YAML from the chosen file, else from the text box."""
    if file is not None and file.filename:
        raw = await file.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise InvalidInput(
                f"file: larger than {MAX_BYTES // 1000} kB; is this the right file?", field="file"
            )
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput(
                f"file: {file.filename} is not a UTF-8 text (YAML) file", field="file"
            ) from None
    if not pasted.strip():
        raise InvalidInput(
            "file: choose the protocol YAML file, or paste its text", field="yaml_text"
        )
    return pasted
