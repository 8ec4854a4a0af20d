"""The risk-adapted monitoring plan: intensity from the risk score and red flags, and the
critical records of the plan's window per site."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from msctrial.clinical.randomisation.tables import EmergencyUnblinding
from msctrial.clinical.subjects.tables import Subject
from msctrial.core import audit
from msctrial.core.actors import Actor, Grant
from msctrial.core.tables import Site
from msctrial.monitoring.model import Intensity, monitoring_intensity
from msctrial.monitoring.plan import CRITICAL
from msctrial.monitoring.service import monitoring_plan
from tests.cli.conftest import cli  # noqa: F401  (the fixture)
from tests.monitoring.conftest import AS_OF

MONITOR = Actor("monitor", grants=(Grant("monitor"),))


@pytest.mark.parametrize(
    ("score", "reds", "intensity"),
    [
        (25.0, 0, Intensity.full),  # the band's lower edge belongs to it
        (24.9, 0, Intensity.targeted),
        (10.0, 0, Intensity.targeted),
        (9.9, 0, Intensity.remote),
        (0.0, 1, Intensity.targeted),  # one red flag is reason enough to go and look
    ],
)
def test_intensity_follows_the_risk_score_bands(score, reds, intensity):
    assert monitoring_intensity(score, reds, full_at=25, targeted_at=10) is intensity


def test_every_site_has_a_plan_with_the_five_kinds_of_critical_data(world):
    plans = monitoring_plan(world.session, MONITOR, now=AS_OF)
    assert {p.site for p in plans} == {"WUH", "BJS", "KMG"}
    assert [p.risk_score for p in plans] == sorted((p.risk_score for p in plans), reverse=True)
    for p in plans:
        data = p.to_dict()
        assert set(data) == {"site", "risk_score", "intensity", "flagged", "critical_data"}
        assert [c["data"] for c in data["critical_data"]] == list(CRITICAL)
        assert data["intensity"] in ("full", "targeted", "remote")
    # The simulated trial enrolled over the last 50 days: its recent infusions need checking.
    assert sum(c.to_dict()["count"] for p in plans for c in p.critical_data) > 0


def test_a_red_flag_sends_a_site_to_on_site_verification(world):
    s = world.session
    wuh = s.scalar(select(Site.id).where(Site.code == "WUH"))
    for subject in list(
        s.scalars(select(Subject).where(Subject.site_id == wuh, Subject.day0_date.is_not(None)))
    )[:2]:
        s.add(
            EmergencyUnblinding(
                subject_id=subject.id, site_id=wuh, reason="anaphylaxis", unblinded_by="inv"
            )
        )
    audit.attach(s, Actor.system_actor("test-fault"))
    with audit.because(s, "a simulated site fault"):
        s.flush()
    plan = next(p for p in monitoring_plan(s, MONITOR, now=AS_OF) if p.site == "WUH")
    assert plan.intensity in ("targeted", "full")
    assert "UNBL +2" in plan.flagged


def test_the_command_prints_the_plan(cli, world):  # noqa: F811
    world.session.close()
    result = cli("monitor", "plan", "--db", world.path, "--json")
    assert result.code == 0, result
    rows = json.loads(result.out)
    assert {r["site"] for r in rows} == {"WUH", "BJS", "KMG"}
    text = cli("monitor", "plan", "--db", world.path, "--site", "BJS")
    assert text.code == 0 and "BJS" in text.out and "WUH" not in text.out


def test_the_primary_endpoint_records_are_those_of_its_time_points(world):
    """The reference protocol's primary endpoint is P/F on days 0, 6 and 14."""
    plans = monitoring_plan(world.session, MONITOR, now=AS_OF)
    records = [
        r for p in plans for c in p.critical_data if c.data == "primary_endpoint" for r in c.records
    ]
    assert records
    assert all(r.endswith((" Day 0", " Day 6", " Day 14")) for r in records), records
