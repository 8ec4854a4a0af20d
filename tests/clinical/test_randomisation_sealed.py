"""The allocation list's structure is sealed from every blinded reader (issue 9, hole 3).

Before the fix a monitor, admin or statistician read each slot's ``block_no`` and ``position``
in the audit trail, and the randomisation number ``R1-01-0001`` gave the stratum order and the
position; counting slots per block gave every block's size.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from msctrial.clinical.randomisation.blocks import randomisation_number
from msctrial.clinical.randomisation.service import randomise_subject
from msctrial.clinical.randomisation.tables import RandomisationSlot
from msctrial.core import audit
from tests.clinical.conftest import SEED, enrol

STRUCTURE = {"position", "block_no", "block_size", "block_sizes", "arm"}
BLINDED_READERS = ("monitor", "admin", "qc", "statistician", "investigator", "coordinator")


def test_no_blinded_reader_finds_the_lists_structure_in_the_audit_trail(session, trial, rand_list):
    inv = trial.actor("investigator")
    for _ in range(3):
        randomise_subject(
            session, inv, enrol(session, inv), password=trial.passwords["investigator"]
        )
    for who in BLINDED_READERS:
        entries = audit.read_trail(session, trial.actor(who), limit=1000)
        slot_entries = [e for e in entries if e["entity"] == "randomisation_slot"]
        if who in ("monitor", "admin", "qc", "statistician"):  # trial-wide readers see them all
            assert len(slot_entries) >= 24, who
        for e in entries:
            assert "sealed_changes" not in e, (who, e["entity"])
            for key in STRUCTURE & set(e["changes"]):
                old, new = e["changes"][key]
                assert old in (None, audit.SEALED) and new in (None, audit.SEALED), (who, e, key)


def test_randomisation_numbers_and_row_order_give_no_position(session, trial, rand_list):
    slots = session.scalars(
        select(RandomisationSlot).where(RandomisationSlot.stratum == "site=WUH|severity=severe")
    ).all()
    assert len(slots) >= 24  # whole blocks: at least the stratum's target
    by_position = sorted(slots, key=lambda s: s.position)
    numbers = [s.randomisation_no for s in by_position]
    assert all(re.fullmatch(r"R\d+-[0-9A-F]{10}", n) for n in numbers), numbers
    # Neither the numbers' sort order nor the rows' ids follow the list's order.
    assert sorted(numbers) != numbers
    assert sorted(s.id for s in slots) != [s.id for s in by_position]
    assert numbers[0] == randomisation_number(SEED, rand_list.id, by_position[0].stratum, 1)


def test_an_unblinded_reader_still_sees_the_sealed_structure(session, trial, rand_list):
    entries = audit.read_trail(
        session, trial.actor("dsmb"), entity="randomisation_slot", limit=1000
    )
    assert entries and all("block_no" in e["sealed_changes"] for e in entries)
