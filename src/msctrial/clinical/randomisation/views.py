"""Read use cases of randomisation: the list's fill by stratum and the unblindings, no arms."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from msctrial.clinical.randomisation.schemas import (
    RandomisationListPublic,
    StratumPublic,
    UnblindingPublic,
)
from msctrial.clinical.randomisation.tables import RandomisationList, RandomisationSlot
from msctrial.clinical.randomisation.unblinding import list_unblindings
from msctrial.clinical.subjects.access import trial_for
from msctrial.core.actors import Actor
from msctrial.core.errors import NotFound


def unblinding_list(session: Session, actor: Actor) -> list[UnblindingPublic]:
    actor.require("investigator", "monitor", "dsmb", "admin", to="see emergency unblindings")
    return [UnblindingPublic.model_validate(u) for u in list_unblindings(session, actor)]


def randomisation_status(
    session: Session, actor: Actor, trial_code: str | None = None
) -> RandomisationListPublic:
    """The list's design and fill by stratum, without arms (admin, statistician, DSMB)."""
    actor.require("admin", "statistician", "dsmb", to="see the randomisation list's status")
    trial = trial_for(session, trial_code)
    plist = session.scalar(select(RandomisationList).where(RandomisationList.trial_id == trial.id))
    if plist is None:
        raise NotFound(f"randomisation: trial {trial.code} has no list yet", field="randomisation")
    rows = session.execute(
        select(
            RandomisationSlot.stratum,
            func.count(),
            func.count(RandomisationSlot.used_at),
        )
        .where(RandomisationSlot.list_id == plist.id)
        .group_by(RandomisationSlot.stratum)
        .order_by(RandomisationSlot.stratum)
    )
    return RandomisationListPublic(
        trial=trial.code,
        algorithm=plist.algorithm,
        factors=list(plist.factors),
        ratio=":".join(str(plist.ratio[a]) for a in plist.ratio),
        per_stratum=plist.per_stratum,
        created_by=plist.created_by,
        created_at=plist.created_at,
        strata=[StratumPublic(stratum=a, slots=b, used=c) for a, b, c in rows],
    )
