"""Stored specifications: each name@version is kept once, with its YAML text, and never changes.

A changed specification is a new version; lots record the version they were tested against.
The built-in specifications (``msctrial/product/specifications/``) are stored on first use.
"""

from __future__ import annotations

import hashlib
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session

from msctrial.core import audit
from msctrial.core.actors import Actor
from msctrial.core.errors import Conflict, NotFound
from msctrial.product.schemas import SpecificationPublic
from msctrial.product.specification import Specification as SpecModel
from msctrial.product.specification import load_specification_text
from msctrial.product.tables import Specification

QC = "qc"
LOT_READERS = ("qc", "pharmacist")
BUILTIN = {"msc-default": "default.yaml", "placebo-saline-albumin": "placebo.yaml"}


def require_lot_reader(actor: Actor) -> None:
    """Lots tell cells from placebo: only QC and the pharmacy may see them."""
    actor.require(*LOT_READERS, to="see lots (blinded roles may not)")


# --- specifications ------------------------------------------------------------------------


def builtin_specification_text(name: str) -> str:
    if name not in BUILTIN:
        raise NotFound(f"specification: no built-in specification {name!r}", field="specification")
    folder = resources.files("msctrial.product") / "specifications"
    return folder.joinpath(BUILTIN[name]).read_text("utf-8")


def _spec_public(row: Specification, spec: SpecModel) -> SpecificationPublic:
    return SpecificationPublic(
        name=row.name,
        version=row.version,
        kind=row.kind,
        title=row.title,
        tests=len(spec.tests),
        created_by=row.created_by,
        created_at=row.created_at,
        sha256=row.sha256,
    )


def store_specification(session: Session, actor: Actor, yaml_text: str) -> Specification:
    spec = load_specification_text(yaml_text)
    sha = hashlib.sha256(yaml_text.encode()).hexdigest()
    row = session.scalar(
        select(Specification).where(
            Specification.name == spec.name, Specification.version == spec.version
        )
    )
    if row is not None:
        if row.sha256 != sha:
            raise Conflict(
                f"version: specification {spec.ref} is already stored with other content; "
                "give the changed specification a new version",
                field="version",
            )
        return row
    audit.attach(session, actor)
    row = Specification(
        name=spec.name,
        version=spec.version,
        kind=spec.kind.value,
        title=spec.title,
        yaml_text=yaml_text,
        sha256=sha,
        created_by=actor.audit_name,
    )
    session.add(row)
    session.flush()
    return row


def save_specification(session: Session, actor: Actor, yaml_text: str) -> SpecificationPublic:
    """Store a specification version; the same text again changes nothing."""
    actor.require(QC, to="store specifications")
    row = store_specification(session, actor, yaml_text)
    session.commit()
    return _spec_public(row, load_specification_text(row.yaml_text))


def list_specifications(session: Session, actor: Actor) -> list[SpecificationPublic]:
    require_lot_reader(actor)
    rows = session.scalars(select(Specification).order_by(Specification.name, Specification.id))
    return [_spec_public(r, load_specification_text(r.yaml_text)) for r in rows]


def get_specification(session: Session, actor: Actor, name: str, version: str) -> SpecModel:
    require_lot_reader(actor)
    row = session.scalar(
        select(Specification).where(Specification.name == name, Specification.version == version)
    )
    if row is None:
        raise NotFound(f"specification: no {name}@{version}", field="specification")
    return load_specification_text(row.yaml_text)
