"""The pharmacy's work list: administrations of randomised subjects not yet prepared."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from msctrial.clinical.dosing.dispensing import product_kind_for
from msctrial.clinical.dosing.schedule import (
    active_dispensation,
    administration_schedule,
    administrations_of,
    given_infusions,
)
from msctrial.clinical.dosing.schemas import PharmacyTask
from msctrial.clinical.dosing.tables import Dispensation, Infusion
from msctrial.clinical.randomisation.allocation import allocation_of, arm_named
from msctrial.clinical.randomisation.tables import PlannedAdministration
from msctrial.clinical.subjects.access import list_subjects, protocol_for
from msctrial.core.actors import Actor
from msctrial.core.errors import PermissionDenied
from msctrial.core.tables import Site
from msctrial.protocol.dosing import dose_cells_range
from msctrial.protocol.model import Protocol


def _subjects_with_doses_to_prepare(session: Session) -> set[int]:
    """Subjects with a planned administration neither infused nor dispensed: one query, so the
    list does not visit each of a large trial's randomised subjects to find the few waiting."""
    infused = exists().where(
        Infusion.administration_id == PlannedAdministration.id, Infusion.voided_at.is_(None)
    )
    dispensed = exists().where(
        Dispensation.administration_id == PlannedAdministration.id,
        Dispensation.voided_at.is_(None),
    )
    stmt = select(PlannedAdministration.subject_id).where(
        PlannedAdministration.voided_at.is_(None), ~infused, ~dispensed
    )
    return set(session.scalars(stmt.distinct()))


def _sites(session: Session) -> dict[int, str]:
    return {site_id: code for site_id, code in session.execute(select(Site.id, Site.code))}


def pharmacy_worklist(session: Session, actor: Actor) -> list[PharmacyTask]:
    """Administrations of randomised subjects at the pharmacist's sites not yet prepared."""
    actor.require("pharmacist", to="see the pharmacy's work list")
    if actor.is_blinded:  # pharmacists are unblinded; a belt-and-braces check
        raise PermissionDenied("the pharmacy's work list names cells or placebo")
    sites = _sites(session)
    waiting = _subjects_with_doses_to_prepare(session)
    protocols: dict[int, Protocol] = {}
    out = []
    for subject in list_subjects(session, actor, status="randomised"):
        if subject.id not in waiting or not actor.has_role("pharmacist", site_id=subject.site_id):
            continue
        if subject.trial_id not in protocols:
            protocols[subject.trial_id] = protocol_for(session, subject).protocol
        protocol = protocols[subject.trial_id]
        allocation = allocation_of(session, subject)
        if allocation is None:
            continue
        given = {i.administration_id for i in given_infusions(session, subject)}
        views = {v.number: v for v in administration_schedule(session, actor, subject.subject_code)}
        for a in administrations_of(session, subject):
            if a.id in given or active_dispensation(session, a) is not None:
                continue
            kind = product_kind_for(protocol, allocation.arm)
            low = high = None
            arm = arm_named(protocol, allocation.arm)
            if kind == "cells" and arm.dosing and arm.dosing.dose:
                low, high = dose_cells_range(arm.dosing.dose, subject.dosing_weight_kg)
            v = views[a.number]
            out.append(
                PharmacyTask(
                    subject_code=subject.subject_code,
                    site=sites[subject.site_id],
                    administration_no=a.number,
                    target=v.target,
                    earliest=v.earliest,
                    latest=v.latest,
                    weight_kg=subject.dosing_weight_kg,
                    kind=kind,
                    cells_low=low,
                    cells_high=high,
                )
            )
    return sorted(out, key=lambda t: (t.target or dt.date.max, t.subject_code, t.administration_no))
