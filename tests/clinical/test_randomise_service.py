"""Randomisation through the service: concealment, strata, consent, unblinding."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from msctrial.clinical.randomisation.allocation import arm_visible
from msctrial.clinical.randomisation.blocks import balanced
from msctrial.clinical.randomisation.service import randomise_subject, set_up_randomisation
from msctrial.clinical.randomisation.tables import (
    Allocation,
    PlannedAdministration,
    RandomisationSlot,
)
from msctrial.clinical.randomisation.unblinding import emergency_unblind, list_unblindings
from msctrial.core import audit
from msctrial.core.errors import Conflict, PermissionDenied, ReasonRequired, RuleViolation
from msctrial.demo.spine import demo_password
from tests.clinical.conftest import CRITICAL, SEED, enrol

PW = demo_password("investigator")


def test_randomising_takes_the_first_free_slot_of_the_subjects_stratum(session, trial, rand_list):
    inv = trial.actor("investigator")
    code = enrol(session, inv)
    view = randomise_subject(session, inv, code, password=PW)
    assert view.arm is None  # the investigator is blinded
    slot = session.scalar(
        select(RandomisationSlot).where(RandomisationSlot.randomisation_no == view.randomisation_no)
    )
    assert (slot.stratum, slot.position) == ("site=WUH|severity=severe", 1)
    planned = session.scalars(select(PlannedAdministration)).all()
    assert [p.study_day for p in planned] == [0, 3, 6]


def test_a_subject_without_consent_cannot_be_randomised(session, trial, rand_list):
    inv = trial.actor("investigator")
    code = enrol(session, inv, consent=False)
    with pytest.raises(RuleViolation, match=r"consent: WUH-001 has not consented and is") as err:
        randomise_subject(session, inv, code, password=PW)
    assert err.value.field == "consent"
    assert session.scalar(select(Allocation)) is None


def test_allocations_follow_the_concealed_list_and_blocks_balance(session, trial, rand_list):
    inv = trial.actor("investigator")
    codes = [enrol(session, inv, obs=CRITICAL) for _ in range(12)]
    for code in codes:
        randomise_subject(session, inv, code, password=PW)
    slots = session.scalars(
        select(RandomisationSlot)
        .where(RandomisationSlot.stratum == "site=WUH|severity=critical")
        .order_by(RandomisationSlot.position)
    ).all()
    used = [s for s in slots if s.used_at is not None]
    assert [s.position for s in used] == list(range(1, 13))
    blocks: dict[int, list[str]] = {}
    for s in used:
        blocks.setdefault(s.block_no, []).append(s.arm)
    complete = [
        arms
        for no, arms in blocks.items()
        if len(arms) == next(s.block_size for s in used if s.block_no == no)
    ]
    assert complete and all(balanced(arms, {"UC-MSC": 1, "Placebo": 1}) for arms in complete)
    assert audit.verify_chain(session).ok


def test_the_list_cannot_be_made_twice_with_another_seed(session, trial, rand_list):
    with pytest.raises(Conflict, match=r"trial MSC-COVID-DEMO already has a randomisation list;"):
        set_up_randomisation(session, trial.actor("admin"), seed="another-seed-000000")


def test_only_an_admin_sets_up_the_list(session, trial):
    with pytest.raises(PermissionDenied, match=r"you need the role admin to set"):
        set_up_randomisation(session, trial.actor("investigator"), seed="x" * 20)


def test_emergency_unblinding_reveals_the_arm_and_monitors_see_that_it_happened(
    session, trial, rand_list
):
    inv = trial.actor("investigator")
    code = enrol(session, inv)
    randomise_subject(session, inv, code, password=PW)
    with pytest.raises(ReasonRequired, match=r"a reason is required to break the"):
        emergency_unblind(session, inv, code, "", password=PW)
    result = emergency_unblind(session, inv, code, "anaphylaxis, need to know", password=PW)
    assert result.arm in ("UC-MSC", "Placebo")
    events = list_unblindings(session, trial.actor("monitor"))
    assert [(e.subject_code, e.reason) for e in events] == [(code, "anaphylaxis, need to know")]
    assert not hasattr(events[0], "arm")
    with pytest.raises(PermissionDenied, match=r"you need the role investigator at this"):
        emergency_unblind(session, trial.actor("coordinator"), code, "curious", password=PW)


def test_the_audit_trail_seals_the_arm_from_blinded_readers(session, trial, rand_list):
    inv = trial.actor("investigator")
    code = enrol(session, inv)
    randomise_subject(session, inv, code, password=PW)
    emergency_unblind(session, inv, code, "suspected SUSAR", password=PW)
    monitor_view = audit.read_trail(session, trial.actor("monitor"), entity="allocation")
    assert monitor_view[0]["changes"]["arm"] == [None, "[blinded]"]
    assert "sealed_changes" not in monitor_view[0]
    dsmb_view = audit.read_trail(session, trial.actor("dsmb"), entity="allocation")
    assert dsmb_view[0]["sealed_changes"]["arm"][1] in ("UC-MSC", "Placebo")
    unblinding = audit.read_trail(session, trial.actor("monitor"), entity="emergency_unblinding")
    assert (unblinding[0]["entity"], unblinding[0]["reason"]) == (
        "emergency_unblinding",
        "suspected SUSAR",
    )


def test_a_new_site_gets_its_strata_from_the_same_seed(session, trial, rand_list):
    from msctrial.core.sites import add_site

    add_site(session, trial.actor("admin"), "CSH", "Changsha (test)")
    set_up_randomisation(session, trial.actor("admin"), seed=SEED)
    strata = set(session.scalars(select(RandomisationSlot.stratum)))
    assert "site=CSH|severity=severe" in strata and len(strata) == 12


def test_an_open_label_trial_shows_the_arm_to_everyone():
    from msctrial.core.actors import Actor, Grant
    from msctrial.demo.spine import reference_protocol_text
    from msctrial.protocol.loader import load_protocol_text
    from msctrial.protocol.model import Masking

    blinded = load_protocol_text(reference_protocol_text())
    open_label = blinded.model_copy(
        update={"design": blinded.design.model_copy(update={"masking": Masking.none})}
    )
    investigator = Actor("inv", grants=(Grant("investigator", 1),))
    assert not arm_visible(investigator, blinded)
    assert arm_visible(investigator, open_label)
