"""JSON API for protocols: list, read, upload a new version, findings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from msctrial.protocol import service
from msctrial.protocol.loader import load_protocol_text
from msctrial.web.deps import ApiActor, Config, Db, OptionalRecordId

router = APIRouter(prefix="/api/v1/protocols", tags=["protocol"])


class FindingPublic(BaseModel):
    rule: str
    level: str
    message: str
    field: str
    source: str


class ProtocolSummary(BaseModel):
    trial: str
    title: str
    latest_version: int


class VersionPublic(BaseModel):
    version_no: int
    label: str
    sha256: str
    created_by: str
    created_at: dt.datetime
    amendment_reason: str | None


class ProtocolPublic(BaseModel):
    trial: str
    title: str
    version: VersionPublic
    protocol: dict[str, Any]
    findings: list[FindingPublic]


class ProtocolUpload(BaseModel):
    yaml: str = Field(description="the protocol as YAML text")
    trial: str | None = Field(
        default=None, description="trial code; from the registry id or title if absent"
    )
    reason: str | None = Field(
        default=None, description="why the protocol changed (required for an amendment)"
    )


class CheckRequest(BaseModel):
    yaml: str


class CheckResult(BaseModel):
    findings: list[FindingPublic]


def _version(v: Any) -> VersionPublic:
    return VersionPublic.model_validate(v, from_attributes=True)


def protocol_public(stored: service.StoredProtocol, settings: Any) -> ProtocolPublic:
    findings = service.findings_for(stored.protocol, settings)
    return ProtocolPublic(
        trial=stored.trial.code,
        title=stored.trial.title,
        version=_version(stored.version),
        protocol=stored.protocol.model_dump(mode="json"),
        findings=[FindingPublic(**f.to_dict()) for f in findings],
    )


@router.get("", response_model=list[ProtocolSummary])
def list_protocols(db: Db, actor: ApiActor) -> list[ProtocolSummary]:
    return [
        ProtocolSummary(trial=t.code, title=t.title, latest_version=n)
        for t, n in service.list_trials(db)
    ]


@router.post("", response_model=ProtocolPublic, status_code=201)
def upload_protocol(
    body: ProtocolUpload, db: Db, actor: ApiActor, settings: Config
) -> ProtocolPublic:
    stored = service.save_protocol(db, actor, body.yaml, trial_code=body.trial, reason=body.reason)
    return protocol_public(stored, settings)


@router.post("/check", response_model=CheckResult)
def check_protocol(body: CheckRequest, actor: ApiActor, settings: Config) -> CheckResult:
    protocol = load_protocol_text(body.yaml)
    return CheckResult(
        findings=[FindingPublic(**f.to_dict()) for f in service.findings_for(protocol, settings)]
    )


@router.get("/{trial}", response_model=ProtocolPublic)
def get_protocol(
    trial: str, db: Db, actor: ApiActor, settings: Config, version: OptionalRecordId = None
) -> ProtocolPublic:
    return protocol_public(service.get_protocol(db, trial, version), settings)


@router.get("/{trial}/versions", response_model=list[VersionPublic])
def list_versions(trial: str, db: Db, actor: ApiActor) -> list[VersionPublic]:
    return [_version(v) for v in service.list_versions(db, trial)]


@router.get("/{trial}/findings", response_model=CheckResult)
def get_findings(
    trial: str, db: Db, actor: ApiActor, settings: Config, version: OptionalRecordId = None
) -> CheckResult:
    stored = service.get_protocol(db, trial, version)
    return CheckResult(
        findings=[
            FindingPublic(**f.to_dict()) for f in service.findings_for(stored.protocol, settings)
        ]
    )
