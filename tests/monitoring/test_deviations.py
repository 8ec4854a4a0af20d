"""gsm's PD and IPD KRIs on the deviations the platform records or derives, each kind classed
by the configuration's ``deviations`` rules."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from msctrial.clinical.dosing.tables import ProtocolDeviation
from msctrial.clinical.subjects.tables import Consent, Subject
from msctrial.clinical.visits.tables import FormEntry, VisitRecord
from msctrial.core import audit
from msctrial.core.actors import Actor, Grant
from msctrial.core.errors import InvalidInput
from msctrial.monitoring.config import default_config, load_config_text
from msctrial.monitoring.deviations import KINDS
from msctrial.monitoring.service import key_risk_indicators, kri_records
from tests.monitoring.conftest import AS_OF

MONITOR = Actor("monitor", grants=(Grant("monitor"),))


def _counts(session) -> dict[tuple[str, str], float]:  # noqa: ANN001
    report = key_risk_indicators(session, MONITOR, now=AS_OF)
    return {(r.kri, r.site): r.numerator for r in report.rows if r.kri in ("PD", "IPD")}


def _a_subject(session) -> Subject:  # noqa: ANN001
    return session.scalars(
        select(Subject).where(Subject.day0_date.is_not(None)).order_by(Subject.id)
    ).first()


def _site(session, subject: Subject) -> str:  # noqa: ANN001
    from msctrial.core.tables import Site

    return session.get(Site, subject.site_id).code


def test_every_kind_is_classed_by_the_default_configuration_with_a_reason():
    rules = default_config().deviations
    assert sorted(r.kind for r in rules) == sorted(KINDS)
    assert all(r.reason for r in rules)
    important = default_config().important_deviations
    assert important["consent_after_procedure"] and important["possibly_ineligible"]
    assert not important["visit_out_of_window"]


def test_a_visit_dated_outside_its_window_is_a_non_important_deviation(world):
    s = world.session
    subject = _a_subject(s)
    before = _counts(s)
    record = s.scalars(
        select(VisitRecord).where(VisitRecord.subject_id == subject.id, VisitRecord.study_day == 3)
    ).one()
    # Day 3's window is ± 1 day: day 6 is outside it.
    s.execute(
        update(VisitRecord)
        .where(VisitRecord.id == record.id)
        .values(visit_date=subject.day0_date + dt.timedelta(days=6))
    )
    s.commit()
    after = _counts(s)
    site = _site(s, subject)
    assert after[("PD", site)] == before[("PD", site)] + 1
    assert after[("IPD", site)] == before[("IPD", site)]
    _, records = kri_records(s, MONITOR, "PD", site=site, now=AS_OF)
    assert any("visit_out_of_window: Day 3 on" in r for r in records[0].records)


def test_a_form_collected_before_consent_is_an_important_deviation(world):
    s = world.session
    subject = _a_subject(s)
    before = _counts(s)
    consented = s.scalar(select(Consent.consented_at).where(Consent.subject_id == subject.id))
    entry = s.scalars(select(FormEntry).where(FormEntry.subject_id == subject.id)).first()
    s.execute(
        update(FormEntry)
        .where(FormEntry.id == entry.id)
        .values(collected_at=consented - dt.timedelta(hours=3))
    )
    s.commit()
    site = _site(s, subject)
    after = _counts(s)
    assert after[("IPD", site)] == before[("IPD", site)] + 1
    assert after[("PD", site)] == before[("PD", site)]


@pytest.mark.parametrize(("kind", "kri"), [("interval_too_short", "IPD"), ("out_of_window", "PD")])
def test_a_recorded_dosing_deviation_counts_by_its_kind(world, kind, kri):
    s = world.session
    subject = _a_subject(s)
    before = _counts(s)
    audit.attach(s, Actor.system_actor("test"))
    s.add(
        ProtocolDeviation(
            subject_id=subject.id,
            site_id=subject.site_id,
            kind=kind,
            description="administration 2",
            reason="clinical need",
            approved_by="investigator",
        )
    )
    s.commit()
    site = _site(s, subject)
    assert _counts(s)[(kri, site)] == before[(kri, site)] + 1


def test_a_kind_the_configuration_does_not_name_counts_as_important():
    config = load_config_text(
        "kris: [{id: IPD, name: x, numerator: x, denominator: x, source: important_deviations, "
        "type: rate, method: normal, thresholds: [2, 3], flags: [0, 1, 2]}]\n"
        "deviations: [{kind: visit_not_done, important: false, reason: missing data}]\n"
    )
    assert config.important_deviations == {"visit_not_done": False}


def test_an_unknown_deviation_kind_is_refused_by_name():
    with pytest.raises(InvalidInput, match="deviations"):
        load_config_text(
            "kris: [{id: PD, name: x, numerator: x, denominator: x, source: deviations, "
            "type: rate, method: normal, thresholds: [2, 3], flags: [0, 1, 2]}]\n"
            "deviations: [{kind: sloppy, important: true, reason: x}]\n"
        )
