"""The treatment plan randomisation fixes: a subject's planned administrations.

Planned in the transaction that allocates the subject: one administration per scheduled day
of the allocated arm (with its ± window), each with the protocol's cell dose for the subject's
weight, shown the same way in every arm so that the plan does not reveal the allocation.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from msctrial.clinical.randomisation.tables import PlannedAdministration
from msctrial.clinical.subjects.tables import Subject
from msctrial.protocol import dosing
from msctrial.protocol.model import Arm, Dose, Protocol, Schedule


def nominal_dose(protocol: Protocol) -> Dose | None:
    """The cell dose of the treatment arm, shown to every subject so the arms look alike."""
    for arm in protocol.treatment_arms:
        if arm.dosing and arm.dosing.dose and arm.dosing.dose.counts_cells:
            return arm.dosing.dose
    return None


def dose_text(dose: Dose | None) -> str:
    if dose is None:
        return "as the protocol states"
    mantissa, exp = f"{dose.value:.1e}".split("e")
    return f"{mantissa} × 10^{int(exp)} {dose.unit.value}"


def arm_schedule(arm: Arm, protocol: Protocol) -> Schedule | None:
    for candidate in (arm, *protocol.treatment_arms):
        if candidate.dosing and candidate.dosing.schedule.is_known:
            return candidate.dosing.schedule
    return None


def plan_administrations(session: Session, subject: Subject, arm: Arm, protocol: Protocol) -> None:
    """Create the subject's planned administrations (flush only; the caller commits)."""
    schedule = arm_schedule(arm, protocol)
    if schedule is None:
        return
    dose = nominal_dose(protocol)
    cells = dosing.target_cells(dose, subject.dosing_weight_kg) if dose else None
    for planned in dosing.planned_schedule(schedule):
        session.add(
            PlannedAdministration(
                subject_id=subject.id,
                site_id=subject.site_id,
                number=planned.number,
                study_day=planned.study_day,
                window_days=planned.window_days,
                optional=planned.optional,
                dose_text=dose_text(dose),
                nominal_cells=cells,
            )
        )
    session.flush()
