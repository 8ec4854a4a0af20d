"""Protocol use cases: register a protocol or a new version of it, read versions, judge them."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from msctrial.core import audit
from msctrial.core.actors import Actor
from msctrial.core.errors import InvalidInput, NotFound
from msctrial.core.settings import Settings
from msctrial.protocol.guidance import Finding, Guidance, check_guidance, load_guidance
from msctrial.protocol.loader import load_protocol_text
from msctrial.protocol.model import Protocol
from msctrial.protocol.tables import ProtocolVersion, Trial

TRIAL_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,39}$")


@dataclass(frozen=True)
class StoredProtocol:
    trial: Trial
    version: ProtocolVersion
    protocol: Protocol
    created: bool = True


def default_trial_code(protocol: Protocol) -> str:
    if protocol.registry_ids:
        return protocol.registry_ids[0]
    slug = re.sub(r"[^A-Za-z0-9]+", "-", protocol.title).strip("-")[:40].rstrip("-")
    return slug or "TRIAL"


def save_protocol(
    session: Session,
    actor: Actor,
    yaml_text: str,
    *,
    trial_code: str | None = None,
    reason: str | None = None,
) -> StoredProtocol:
    """Validate and store a protocol; a changed text for an existing trial becomes a new version.

    Saving the same text again changes nothing (so the demo can run twice). An amendment, any
    version after the first, needs a reason.
    """
    actor.require("admin", to="register or amend a protocol")
    protocol = load_protocol_text(yaml_text)
    code = trial_code or default_trial_code(protocol)
    if not TRIAL_CODE.match(code):
        raise InvalidInput(
            "trial: a trial code is 2-40 letters, digits, '-' or '_', starting with a letter or digit",
            field="trial",
        )
    sha = hashlib.sha256(yaml_text.encode()).hexdigest()
    audit.attach(session, actor)
    trial = session.scalar(select(Trial).where(Trial.code == code))
    if trial is None:
        trial = Trial(code=code, title=protocol.title)
        session.add(trial)
        session.flush()
    latest = _latest(session, trial.id)
    if latest is not None and latest.sha256 == sha:
        return StoredProtocol(trial, latest, protocol, created=False)
    if latest is not None:
        reason = audit.require_reason(reason, f"amend the protocol of {code}")
    version = ProtocolVersion(
        trial_id=trial.id,
        version_no=(latest.version_no + 1) if latest else 1,
        label=protocol.version,
        yaml_text=yaml_text,
        sha256=sha,
        amendment_reason=reason,
        created_by=actor.audit_name,
    )
    with audit.because(session, reason, action="amend" if latest else None):
        session.add(version)
        if trial.title != protocol.title:
            trial.title = protocol.title
    session.commit()
    return StoredProtocol(trial, version, protocol)


def _latest(session: Session, trial_id: int) -> ProtocolVersion | None:
    return session.scalar(
        select(ProtocolVersion)
        .where(ProtocolVersion.trial_id == trial_id)
        .order_by(ProtocolVersion.version_no.desc())
        .limit(1)
    )


def get_trial(session: Session, code: str) -> Trial:
    trial = session.scalar(select(Trial).where(Trial.code == code))
    if trial is None:
        raise NotFound(f"trial: no trial with code {code!r}", field="trial")
    return trial


def only_trial(session: Session) -> Trial:
    """The deployment's trial when there is exactly one (the usual case), else an error."""
    trials = list(session.scalars(select(Trial).order_by(Trial.id).limit(2)))
    if not trials:
        raise NotFound("trial: no trial is set up yet; register a protocol first", field="trial")
    if len(trials) > 1:
        raise InvalidInput("trial: several trials exist; name one with --trial", field="trial")
    return trials[0]


def list_trials(session: Session) -> list[tuple[Trial, int]]:
    """Every stored trial with its latest protocol version number."""
    rows = session.execute(
        select(Trial, func.max(ProtocolVersion.version_no))
        .join(ProtocolVersion, ProtocolVersion.trial_id == Trial.id)
        .group_by(Trial.id)
        .order_by(Trial.code)
    )
    return [(t, n) for t, n in rows]


def get_protocol(session: Session, code: str, version_no: int | None = None) -> StoredProtocol:
    """A trial's protocol: the latest version, or the one numbered ``version_no``."""
    trial = get_trial(session, code)
    if version_no is None:
        version = _latest(session, trial.id)
    else:
        version = session.scalar(
            select(ProtocolVersion).where(
                ProtocolVersion.trial_id == trial.id, ProtocolVersion.version_no == version_no
            )
        )
    if version is None:
        raise NotFound(
            f"version: trial {code} has no protocol version {version_no}", field="version"
        )
    return StoredProtocol(trial, version, load_protocol_text(version.yaml_text), created=False)


def list_versions(session: Session, code: str) -> list[ProtocolVersion]:
    trial = get_trial(session, code)
    return list(
        session.scalars(
            select(ProtocolVersion)
            .where(ProtocolVersion.trial_id == trial.id)
            .order_by(ProtocolVersion.version_no)
        )
    )


def findings_for(
    protocol: Protocol, settings: Settings, guidance: Guidance | None = None
) -> list[Finding]:
    """The expert-guidance findings with this deployment's ruleset and reference weights."""
    return check_guidance(
        protocol, guidance or load_guidance(settings.ruleset), settings.reference_weights_kg
    )
