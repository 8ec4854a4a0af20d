"""Setting up the concealed list and randomising a subject.

- ``set_up_randomisation(session, actor, trial_code=None, seed=None, per_stratum=None)``
  (admin): generates the stratified list from a secret seed (random when not given); only the
  seed's SHA-256 is stored. Run again with the same seed to add strata for new sites.
- ``randomise_subject(session, actor, subject_code)`` (investigator or coordinator of the
  site): takes the next free slot of the subject's stratum in one transaction. On PostgreSQL
  the slot is claimed with ``SELECT … FOR UPDATE SKIP LOCKED``, so concurrent requests never
  share a slot; SQLite serialises writers with BEGIN IMMEDIATE. The schedule of
  administrations is planned in the same transaction (``dosing.schedule``).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from msctrial.clinical.randomisation import blocks as rnd
from msctrial.clinical.randomisation.allocation import AllocationView, _view, arm_named
from msctrial.clinical.randomisation.plan import plan_administrations
from msctrial.clinical.randomisation.tables import (
    Allocation,
    RandomisationList,
    RandomisationSlot,
)
from msctrial.clinical.subjects.access import (
    SITE_STAFF,
    get_subject,
    protocol_for,
    site_of,
    trial_for,
)
from msctrial.clinical.subjects.consent import require_consent
from msctrial.clinical.subjects.model import SubjectStatus
from msctrial.clinical.subjects.screening import latest_screening
from msctrial.clinical.subjects.tables import Subject
from msctrial.core import audit
from msctrial.core.actors import Actor
from msctrial.core.db import utcnow
from msctrial.core.errors import Conflict, InvalidInput, RuleViolation
from msctrial.core.localtime import site_local_date
from msctrial.core.tables import Site
from msctrial.core.users import reauthenticate
from msctrial.protocol.model import Allocation as AllocationKind
from msctrial.protocol.model import Protocol, Severity
from msctrial.protocol.service import get_protocol

MIN_PER_STRATUM = 20


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
    # Numbers already issued never change; a new stratum's slots get numbers none has had.
    new = [s for s in strata if s not in have]
    issued = set(
        session.scalars(
            select(RandomisationSlot.randomisation_no).where(
                RandomisationSlot.list_id == existing.id
            )
        )
    )
    rows = []
    for stratum in new:
        for slot in rnd.stratum_list(seed, stratum, ratio, existing.per_stratum, mults):
            number = _fresh_number(seed, existing.id, stratum, slot.position, issued)
            rows.append(
                RandomisationSlot(
                    list_id=existing.id,
                    stratum=stratum,
                    position=slot.position,
                    block_no=slot.block_no,
                    block_size=slot.block_size,
                    randomisation_no=number,
                    arm=slot.arm,
                )
            )
    # Rows go in in random order, so neither their ids nor the audit trail's order of entries
    # gives a slot's place in the list.
    secrets.SystemRandom().shuffle(rows)
    session.add_all(rows)
    session.commit()
    return existing


def _fresh_number(seed: str, list_id: int, stratum: str, position: int, issued: set[str]) -> str:
    for attempt in range(100):
        number = rnd.randomisation_number(seed, list_id, stratum, position, attempt)
        if number not in issued:
            issued.add(number)
            return number
    raise RuntimeError("randomisation: could not draw a unique randomisation number")


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
            values[f] = subject.sex or "unknown"
        elif f == "mechanical_ventilation":
            values[f] = "yes" if obs.get("mechanical_ventilation") else "no"
    return rnd.stratum_key(values)


@dataclass(frozen=True)
class RandomisationPreview:
    """What randomising will do, shown before the user signs: the stratum and who learns what."""

    subject_code: str
    site_code: str
    strata: dict[str, str]  # factor → this subject's value, in the protocol's order
    stratum: str
    blinded: bool
    told: tuple[str, ...]


def _subject_to_randomise(session: Session, actor: Actor, subject_code: str) -> Subject:
    """The subject, locked, when the actor may randomise at its site."""
    subject = get_subject(session, actor, subject_code, for_update=True)
    actor.require(*SITE_STAFF, site_id=subject.site_id, to="randomise subjects")
    return subject


def _check_randomisable(session: Session, subject: Subject, at: dt.datetime) -> None:
    if subject.status == SubjectStatus.prescreening:
        raise RuleViolation(
            f"consent: {subject.subject_code} has not consented and is not screened",
            field="consent",
        )
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


def _list_of(session: Session, subject: Subject) -> RandomisationList:
    plist = session.scalar(
        select(RandomisationList).where(RandomisationList.trial_id == subject.trial_id)
    )
    if plist is None:
        raise RuleViolation(
            "randomisation: the trial has no randomisation list; an administrator sets it up "
            "with `msctrial clinical randomisation-setup`",
            field="randomisation",
        )
    return plist


def randomisation_preview(
    session: Session, actor: Actor, subject_code: str, *, at: dt.datetime | None = None
) -> RandomisationPreview:
    """Check everything randomising checks, write nothing, and say what it will do."""
    subject = _subject_to_randomise(session, actor, subject_code)
    _check_randomisable(session, subject, at or utcnow())
    plist = _list_of(session, subject)
    factors = list(plist.factors)
    stratum = subject_stratum(session, subject, factors)
    values = dict(part.split("=", 1) for part in stratum.split("|")) if factors else {}
    protocol = protocol_for(session, subject).protocol
    blinded = protocol.is_blinded
    told = (
        (
            "you and the site's blinded staff see the randomisation number only",
            "the pharmacist sees the arm, to prepare the product",
            "the DSMB sees arms in its closed reports",
        )
        if blinded
        else ("everyone at the site sees the arm (open-label trial)",)
    )
    session.rollback()  # release the row lock taken for the checks
    return RandomisationPreview(
        subject.subject_code, site_of(session, subject).code, values, stratum, blinded, told
    )


def _replayed(
    session: Session, actor: Actor, subject: Subject, request_key: str | None
) -> AllocationView | None:
    """The allocation an earlier request with this key made, for a reload or double click."""
    if not request_key:
        return None
    earlier = session.scalar(select(Allocation).where(Allocation.request_key == request_key))
    if earlier is None:
        return None
    if earlier.subject_id != subject.id:
        raise Conflict(
            "request_key: this key was used for another subject; send a new key",
            field="request_key",
        )
    return _view(earlier, actor, protocol_for(session, subject).protocol)


def check_request_key(request_key: str | None) -> str | None:
    if request_key is None or request_key == "":
        return None
    key = request_key.strip()
    if not 8 <= len(key) <= 64 or not key.isascii() or not key.isprintable():
        raise InvalidInput(
            "request_key: 8 to 64 printable ASCII characters (e.g. a UUID)", field="request_key"
        )
    return key


def randomise_subject(
    session: Session,
    actor: Actor,
    subject_code: str,
    *,
    password: str | None,
    request_key: str | None = None,
    at: dt.datetime | None = None,
) -> AllocationView:
    """Allocate the next slot of the subject's stratum and plan its administrations.

    A signed act (the user's password again, 21 CFR 11.200), and idempotent: a request that
    repeats an earlier ``request_key`` gets that allocation back instead of a second one.
    """
    key = check_request_key(request_key)
    now = utcnow()
    at = at or now
    subject = _subject_to_randomise(session, actor, subject_code)
    replay = _replayed(session, actor, subject, key)
    if replay is not None:
        return replay
    reauthenticate(session, actor, password or "")
    _check_randomisable(session, subject, at)
    stored = protocol_for(session, subject)
    plist = _list_of(session, subject)
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
    with audit.because(session, f"randomised {subject.subject_code} (signed)", action="allocate"):
        slot.used_at = now
        slot.subject_id = subject.id
        subject.status = SubjectStatus.randomised.value
        if stored.protocol.design.day0_event == "randomisation":
            subject.day0_date = site_local_date(at, site)
    allocation = Allocation(
        subject_id=subject.id,
        slot_id=slot.id,
        site_id=subject.site_id,
        randomisation_no=slot.randomisation_no,
        stratum=stratum,
        arm=slot.arm,
        allocated_by=actor.audit_name,
        allocated_at=now,
        request_key=key,
    )
    session.add(allocation)
    plan_administrations(session, subject, arm_named(stored.protocol, slot.arm), stored.protocol)
    session.commit()
    return _view(allocation, actor, stored.protocol)


def check_seed(seed: str | None) -> str | None:
    if seed is not None and len(seed.strip()) < 16:
        raise InvalidInput(
            "seed: use at least 16 characters (e.g. 32 random hex digits)", field="seed"
        )
    return seed.strip() if seed else None
