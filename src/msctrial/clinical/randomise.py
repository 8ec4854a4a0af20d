"""Randomisation and blinding: set up the concealed list, allocate, break the blind.

- ``set_up_randomisation(session, actor, trial_code=None, seed=None, per_stratum=None)``
  (admin): generates the stratified list from a secret seed (random when not given); only the
  seed's SHA-256 is stored. Run again with the same seed to add strata for new sites.
- ``randomise_subject(session, actor, subject_code)`` (investigator or coordinator of the
  site): takes the next free slot of the subject's stratum in one transaction. On PostgreSQL
  the slot is claimed with ``SELECT … FOR UPDATE SKIP LOCKED``, so concurrent requests never
  share a slot; SQLite serialises writers with BEGIN IMMEDIATE. The schedule of
  administrations is planned in the same transaction.
- ``allocation_view(session, actor, subject)``: the randomisation number and time for
  everyone, the arm only for unblinded roles (pharmacist, DSMB) or an open-label trial.
- ``emergency_unblind(session, actor, subject_code, reason)`` (investigator of the site):
  returns the arm, audited; ``list_unblindings`` shows monitors that it happened, not the arm.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from msctrial.clinical import randomisation as rnd
from msctrial.clinical.model import SubjectStatus
from msctrial.clinical.schedule import plan_administrations
from msctrial.clinical.subjects import (
    SITE_STAFF,
    get_subject,
    latest_screening,
    protocol_for,
    require_consent,
    site_of,
    trial_for,
    visible_sites,
)
from msctrial.clinical.tables import (
    Allocation,
    EmergencyUnblinding,
    RandomisationList,
    RandomisationSlot,
    Subject,
)
from msctrial.core import audit
from msctrial.core.db import utcnow
from msctrial.core.errors import Conflict, InvalidInput, NotFound, RuleViolation
from msctrial.core.tables import Site
from msctrial.core.users import Actor
from msctrial.protocol.model import Allocation as AllocationKind
from msctrial.protocol.model import Arm, Protocol, Severity
from msctrial.protocol.service import get_protocol

MIN_PER_STRATUM = 20


# --- set-up ---------------------------------------------------------------------------------


def factor_levels(session: Session, protocol: Protocol) -> dict[str, list[str]]:
    """The levels of each stratification factor the protocol names."""
    severities = [s.value for s in (protocol.eligibility.severity or list(Severity))]
    levels = {
        "site": [s.code for s in session.scalars(select(Site).where(Site.active.is_(True)))],
        "severity": severities,
        "age_group": list(rnd.AGE_GROUPS),
        "sex": ["female", "male"],
        "mechanical_ventilation": ["yes", "no"],
    }
    return {f: sorted(levels[f]) if f == "site" else levels[f] for f in protocol.stratification}


def arm_ratio(protocol: Protocol) -> dict[str, int]:
    return {a.name: a.allocation_ratio for a in protocol.arms}


def set_up_randomisation(
    session: Session,
    actor: Actor,
    trial_code: str | None = None,
    *,
    seed: str | None = None,
    per_stratum: int | None = None,
    multipliers: tuple[int, ...] = rnd.DEFAULT_MULTIPLIERS,
) -> RandomisationList:
    """Generate the concealed list, or add strata (e.g. a new site) given the same seed."""
    actor.require("admin", to="set up the randomisation list")
    seed = check_seed(seed)
    trial = trial_for(session, trial_code)
    protocol = get_protocol(session, trial.code).protocol
    if protocol.design.allocation not in (None, AllocationKind.randomised):
        raise RuleViolation(
            f"design.allocation: the protocol is {protocol.design.allocation.value}; "
            "only a randomised trial has a list",
            field="design.allocation",
        )
    ratio = arm_ratio(protocol)
    existing = session.scalar(
        select(RandomisationList).where(RandomisationList.trial_id == trial.id)
    )
    if existing is not None and (seed is None or rnd.seed_sha256(seed) != existing.seed_sha256):
        raise Conflict(
            f"trial {trial.code} already has a randomisation list; to add strata for new sites "
            "give the same seed again",
            field="seed",
        )
    seed = seed or secrets.token_hex(32)
    levels = factor_levels(session, protocol)
    strata = rnd.all_strata(protocol.stratification, levels)
    audit.attach(session, actor)
    if existing is None:
        target = protocol.sample_size.target if protocol.sample_size else 0
        # Any one stratum might recruit the whole trial, so each holds the target sample size.
        per = per_stratum or max(MIN_PER_STRATUM, target)
        rnd._check(ratio, multipliers, per)
        existing = RandomisationList(
            trial_id=trial.id,
            seed_sha256=rnd.seed_sha256(seed),
            algorithm=rnd.ALGORITHM,
            factors=list(protocol.stratification),
            ratio=ratio,
            block_sizes=rnd.block_sizes(ratio, multipliers),
            per_stratum=per,
            created_by=actor.audit_name,
        )
        session.add(existing)
        session.flush()
    elif existing.ratio != ratio or existing.factors != list(protocol.stratification):
        raise Conflict(
            "the protocol's arms or strata changed since the list was made; a new list needs a "
            "protocol amendment and the statistician",
            field="stratification",
        )
    have = set(
        session.scalars(
            select(RandomisationSlot.stratum).where(RandomisationSlot.list_id == existing.id)
        )
    )
    mults = [size // sum(ratio.values()) for size in existing.block_sizes]
    # Numbers already issued never change: new strata are numbered after the existing ones.
    new = [s for s in strata if s not in have]
    index = {s: i for i, s in enumerate(new, start=len(have) + 1)}
    for stratum in new:
        for slot in rnd.stratum_list(seed, stratum, ratio, existing.per_stratum, mults):
            session.add(
                RandomisationSlot(
                    list_id=existing.id,
                    stratum=stratum,
                    position=slot.position,
                    block_no=slot.block_no,
                    block_size=slot.block_size,
                    randomisation_no=f"R{existing.id}-{index[stratum]:02d}-{slot.position:04d}",
                    arm=slot.arm,
                )
            )
    session.commit()
    return existing


# --- allocation -----------------------------------------------------------------------------


def subject_stratum(session: Session, subject: Subject, factors: list[str]) -> str:
    screening = latest_screening(session, subject)
    obs = screening.observations if screening else {}
    values: dict[str, str] = {}
    for f in factors:
        if f == "site":
            values[f] = site_of(session, subject).code
        elif f == "severity":
            if not subject.severity:
                raise RuleViolation("severity: screen the subject first", field="severity")
            values[f] = subject.severity
        elif f == "age_group":
            values[f] = rnd.age_group(int(obs.get("age_years", 0)))
        elif f == "sex":
            values[f] = subject.sex
        elif f == "mechanical_ventilation":
            values[f] = "yes" if obs.get("mechanical_ventilation") else "no"
    return rnd.stratum_key(values)


def local_date(when: dt.datetime, site: Site) -> dt.date:
    """The calendar date at the site, which is what study days count."""
    try:
        zone = ZoneInfo(site.timezone or "UTC")
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return when.astimezone(zone).date()


@dataclass(frozen=True)
class AllocationView:
    """What an actor may know of a subject's randomisation."""

    randomisation_no: str
    allocated_at: dt.datetime
    allocated_by: str
    arm: str | None  # None for a blinded actor: the field is absent from public schemas


def arm_visible(actor: Actor, protocol: Protocol) -> bool:
    """Unblinded roles see arms; everyone does in an open-label or single-masked trial."""
    return not (protocol.is_blinded and actor.is_blinded)


def randomise_subject(
    session: Session, actor: Actor, subject_code: str, *, at: dt.datetime | None = None
) -> AllocationView:
    """Allocate the next slot of the subject's stratum and plan its administrations."""
    subject = get_subject(session, actor, subject_code, for_update=True)
    actor.require(*SITE_STAFF, site_id=subject.site_id, to="randomise subjects")
    now = utcnow()
    at = at or now
    if subject.status != SubjectStatus.screening:
        raise RuleViolation(
            f"subject: {subject.subject_code} is {subject.status}; only an eligible subject in "
            "screening can be randomised",
            field="subject",
        )
    if not subject.eligible:
        raise RuleViolation(
            f"subject: {subject.subject_code} is not eligible at the latest screening",
            field="subject",
        )
    require_consent(session, subject, at)
    stored = protocol_for(session, subject)
    plist = session.scalar(
        select(RandomisationList).where(RandomisationList.trial_id == subject.trial_id)
    )
    if plist is None:
        raise RuleViolation(
            "randomisation: the trial has no randomisation list; an administrator sets it up "
            "with `msctrial clinical randomisation-setup`",
            field="randomisation",
        )
    stratum = subject_stratum(session, subject, list(plist.factors))
    slot = session.scalar(
        select(RandomisationSlot)
        .where(
            RandomisationSlot.list_id == plist.id,
            RandomisationSlot.stratum == stratum,
            RandomisationSlot.used_at.is_(None),
        )
        .order_by(RandomisationSlot.position)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if slot is None:
        known = session.scalar(
            select(RandomisationSlot.id).where(
                RandomisationSlot.list_id == plist.id, RandomisationSlot.stratum == stratum
            )
        )
        raise RuleViolation(
            f"randomisation: the list has {'no free slot left' if known else 'no stratum'} "
            f"for {stratum}; an administrator must extend it",
            field="randomisation",
        )
    audit.attach(session, actor)
    site = site_of(session, subject)
    with audit.because(session, f"randomised {subject.subject_code}", action="allocate"):
        slot.used_at = now
        slot.subject_id = subject.id
        subject.status = SubjectStatus.randomised.value
        if stored.protocol.design.day0_event == "randomisation":
            subject.day0_date = local_date(at, site)
    allocation = Allocation(
        subject_id=subject.id,
        slot_id=slot.id,
        site_id=subject.site_id,
        randomisation_no=slot.randomisation_no,
        stratum=stratum,
        arm=slot.arm,
        allocated_by=actor.audit_name,
        allocated_at=now,
    )
    session.add(allocation)
    plan_administrations(session, subject, arm_named(stored.protocol, slot.arm), stored.protocol)
    session.commit()
    return _view(allocation, actor, stored.protocol)


def arm_named(protocol: Protocol, name: str) -> Arm:
    for arm in protocol.arms:
        if arm.name == name:
            return arm
    raise NotFound(f"arm: the protocol has no arm {name!r}", field="arm")


def _view(allocation: Allocation, actor: Actor, protocol: Protocol) -> AllocationView:
    return AllocationView(
        randomisation_no=allocation.randomisation_no,
        allocated_at=allocation.allocated_at,
        allocated_by=allocation.allocated_by,
        arm=allocation.arm if arm_visible(actor, protocol) else None,
    )


def allocation_of(session: Session, subject: Subject) -> Allocation | None:
    return session.scalar(select(Allocation).where(Allocation.subject_id == subject.id))


def allocation_view(session: Session, actor: Actor, subject: Subject) -> AllocationView | None:
    """The subject's randomisation as ``actor`` may see it (the subject is already visible)."""
    allocation = allocation_of(session, subject)
    if allocation is None:
        return None
    return _view(allocation, actor, protocol_for(session, subject).protocol)


# --- emergency unblinding -------------------------------------------------------------------


@dataclass(frozen=True)
class Unblinding:
    subject_code: str
    arm: str
    product: str
    unblinded_by: str
    unblinded_at: dt.datetime
    reason: str


def emergency_unblind(
    session: Session, actor: Actor, subject_code: str, reason: str | None
) -> Unblinding:
    """Reveal one subject's arm to their investigator in an emergency, with a reason."""
    subject = get_subject(session, actor, subject_code)
    actor.require("investigator", site_id=subject.site_id, to="break the blind")
    why = audit.require_reason(reason, "break the blind")
    allocation = allocation_of(session, subject)
    if allocation is None:
        raise RuleViolation(
            f"subject: {subject.subject_code} is not randomised; there is no arm to reveal",
            field="subject",
        )
    audit.attach(session, actor)
    record = EmergencyUnblinding(
        subject_id=subject.id,
        site_id=subject.site_id,
        reason=why,
        unblinded_by=actor.audit_name,
    )
    with audit.because(session, why, action="unblind"):
        session.add(record)
    session.commit()
    arm = arm_named(protocol_for(session, subject).protocol, allocation.arm)
    return Unblinding(
        subject.subject_code,
        arm.name,
        arm.product.value,
        record.unblinded_by,
        record.unblinded_at,
        why,
    )


@dataclass(frozen=True)
class UnblindingEvent:
    """That a blind was broken, for monitors: who, when, why; never the arm."""

    subject_code: str
    site_code: str
    unblinded_by: str
    unblinded_at: dt.datetime
    reason: str


def list_unblindings(session: Session, actor: Actor) -> list[UnblindingEvent]:
    scope = visible_sites(actor)
    stmt = (
        select(EmergencyUnblinding, Subject.subject_code, Site.code)
        .join(Subject, Subject.id == EmergencyUnblinding.subject_id)
        .join(Site, Site.id == EmergencyUnblinding.site_id)
        .order_by(EmergencyUnblinding.unblinded_at.desc())
    )
    if scope is not None:
        stmt = stmt.where(EmergencyUnblinding.site_id.in_(scope))
    return [
        UnblindingEvent(code, site, u.unblinded_by, u.unblinded_at, u.reason)
        for u, code, site in session.execute(stmt)
    ]


def check_seed(seed: str | None) -> str | None:
    if seed is not None and len(seed.strip()) < 16:
        raise InvalidInput(
            "seed: use at least 16 characters (e.g. 32 random hex digits)", field="seed"
        )
    return seed.strip() if seed else None
