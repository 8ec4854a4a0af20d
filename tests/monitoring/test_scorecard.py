"""The scorecard on the simulated trial: five parts from its own records, blind, trial-wide."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from msctrial.clinical.randomisation.tables import Allocation
from msctrial.clinical.subjects.tables import Consent, Screening, Subject
from msctrial.core import audit
from msctrial.core.actors import Actor, Grant
from msctrial.core.errors import PermissionDenied
from msctrial.core.settings import Settings
from msctrial.core.tables import Site
from msctrial.monitoring.scorecard import PARTS
from msctrial.monitoring.service import trial_scorecard
from msctrial.product.tables import Lot, LotSignature
from tests.cli.conftest import cli  # noqa: F401  (the fixture)
from tests.conftest import TEST_SECRET
from tests.monitoring.conftest import AS_OF

MONITOR = Actor("monitor", grants=(Grant("monitor"),))


def card_of(world):  # noqa: ANN001, ANN201
    settings = Settings(database_url=world.url, secret_key=TEST_SECRET, migrate_on_start=False)
    return trial_scorecard(world.session, MONITOR, settings, now=AS_OF)


def items(card) -> dict:  # noqa: ANN001
    return {i.item: i for p in card.parts for i in p.items}


def test_five_parts_in_order_each_scored_with_evidence(world):
    card = card_of(world)
    data = card.to_dict()
    assert [p["part"] for p in data["parts"]] == list(PARTS)
    for part in data["parts"]:
        assert part["score"] is None or 0 <= part["score"] <= 100
        for entry in part["items"]:
            assert set(entry) == {"item", "status", "evidence", "source"}
            assert entry["status"] in ("pass", "warn", "fail", "info") and entry["evidence"]
    found = items(card)
    assert found["randomised"].status == "pass"  # the reference protocol is randomised
    assert found["double_blind"].evidence == "masking: quadruple"
    assert found["chain_of_identity"].status == "pass"


def test_a_consent_dated_after_the_screening_fails_ethics_and_names_the_subject(world):
    s = world.session
    screening = s.scalars(select(Screening).order_by(Screening.id)).first()
    consent = s.scalar(select(Consent).where(Consent.subject_id == screening.subject_id))
    code = s.scalar(select(Subject.subject_code).where(Subject.id == screening.subject_id))
    consent.consented_at = screening.observed_at + dt.timedelta(hours=1)
    audit.attach(s, Actor.system_actor("test-fault"))
    with audit.because(s, "a simulated site fault"):
        s.flush()
    result = items(card_of(world))["consent_before_procedures"]
    assert result.status == "fail"
    assert code in result.evidence


def test_the_demo_gives_units_only_after_their_lots_release(world):
    """The demo signs each lot when it was made, before its simulated patients were dosed."""
    assert items(card_of(world))["released_lots"].status == "pass"


def test_units_given_before_their_lot_was_released_fail_the_product_part(world):
    s = world.session
    for signature in s.scalars(select(LotSignature).where(LotSignature.action == "release")):
        signature.signed_at = AS_OF  # as if QC had signed after every infusion
    audit.attach(s, Actor.system_actor("test-fault"))
    with audit.because(s, "a simulated late release"):
        s.flush()
    result = items(card_of(world))["released_lots"]
    assert result.status == "fail"
    assert "not released" in result.evidence


def test_the_scorecard_shows_no_arm_and_no_lot(world):
    text = json.dumps(card_of(world).to_dict())
    for arm in set(world.session.scalars(select(Allocation.arm))):
        assert arm not in text
    for lot in world.session.scalars(select(Lot.code)):
        assert lot not in text


def test_a_site_user_cannot_read_the_trial_wide_scorecard(world):
    wuh = world.session.scalar(select(Site.id).where(Site.code == "WUH"))
    investigator = Actor("investigator", grants=(Grant("investigator", site_id=wuh),))
    settings = Settings(database_url=world.url, secret_key=TEST_SECRET, migrate_on_start=False)
    with pytest.raises(PermissionDenied):
        trial_scorecard(world.session, investigator, settings, now=AS_OF)


def test_the_command_prints_the_scorecard(cli, world):  # noqa: F811
    world.session.close()
    result = cli("monitor", "scorecard", "--db", world.path, "--json")
    assert result.code == 0, result  # nothing fails on the demo (exit 1 when an item does)
    assert [p["part"] for p in json.loads(result.out)["parts"]] == list(PARTS)
    text = cli("monitor", "scorecard", "--db", world.path)
    assert "ethics compliance:" in text.out and "execution quality:" in text.out
