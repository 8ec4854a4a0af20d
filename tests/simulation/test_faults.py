"""Numbered sites and site faults of the simulator: parsed strictly, drawn only at a faulty
site, and played through the services as well as in bulk."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from msctrial.clinical.safety.tables import AdverseEvent
from msctrial.clinical.visits.tables import FormEntry, VisitRecord
from msctrial.core.db import make_engine
from msctrial.core.errors import InvalidInput
from msctrial.core.session import create_all, make_sessionmaker
from msctrial.core.settings import Settings
from msctrial.core.tables import Site
from msctrial.demo import DemoContext
from msctrial.demo import product as product_demo
from msctrial.demo import spine as spine_demo
from msctrial.simulation.config import SimulationConfig
from msctrial.simulation.faults import (
    Fault,
    SiteBehaviour,
    numbered_sites,
    parse_site_faults,
)
from msctrial.simulation.trial import simulate_trial
from tests.cli.conftest import cli  # noqa: F401  (the fixture)
from tests.conftest import TEST_SECRET

DAY = dt.date.today() - dt.timedelta(days=1)


def test_numbered_sites_are_coded_s01_to_snn():
    assert [c for c, _ in numbered_sites(20)][:2] == ["S01", "S02"]
    assert numbered_sites(20)[-1] == ("S20", 1.0)
    assert numbered_sites(120)[0][0] == "S001"


def test_a_site_fault_is_site_colon_fault():
    sites = [c for c, _ in numbered_sites(20)]
    faults = parse_site_faults(["s07:ae-underreport", "S12:late-entry", "S12:late-entry"], sites)
    assert faults == (("S07", "ae-underreport"), ("S12", "late-entry"))


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("S07", "is not SITE:FAULT"),
        ("S07:sloppy", "unknown fault 'sloppy'; allowed ae-underreport, late-entry, ineligible"),
        ("S99:late-entry", "S99 is not one of the simulated sites"),
    ],
)
def test_a_bad_site_fault_is_refused_by_name(text, says):
    with pytest.raises(InvalidInput, match=says):
        parse_site_faults([text], ["S01", "S07"])


def test_a_fault_on_an_unsimulated_site_is_refused_by_the_configuration():
    with pytest.raises(InvalidInput, match="S30 is not one of the simulated sites"):
        SimulationConfig(sites=numbered_sites(20), faults=(("S30", "ineligible"),))


def test_a_clean_site_draws_nothing():
    """So a trial without faults is the same trial it was before faults existed."""
    rng = np.random.default_rng(1)
    clean = SiteBehaviour()
    state = rng.bit_generator.state
    assert clean.reports_minor_ae(rng) and clean.entry_delay_days(rng) is None
    assert not clean.enrols_without_pneumonia(rng)
    assert rng.bit_generator.state == state


def test_a_faulty_site_under_reports_enters_late_and_enrols_ineligible_patients():
    rng = np.random.default_rng(2)
    bad = SiteBehaviour(frozenset(Fault))
    reported = np.mean([bad.reports_minor_ae(rng) for _ in range(4000)])
    delays = [bad.entry_delay_days(rng) for _ in range(4000)]
    late = [d for d in delays if d is not None]
    ineligible = np.mean([bad.enrols_without_pneumonia(rng) for _ in range(4000)])
    assert 0.22 < reported < 0.28
    assert 0.37 < len(late) / len(delays) < 0.43 and min(late) >= 11 and max(late) <= 30
    assert 0.22 < ineligible < 0.28


@pytest.fixture(scope="module")
def service_trial(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """Six patients at two numbered sites through the services; S02 enters late and
    under-reports."""
    path: Path = tmp_path_factory.mktemp("sim-faults") / "world.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    create_all(engine)
    settings = Settings(database_url=url, secret_key=TEST_SECRET, migrate_on_start=False)
    config = SimulationConfig(
        subjects=6,
        enrolment_days=40,
        screen_failure_rate=0.0,
        sites=numbered_sites(2),
        faults=(("S02", "late-entry"), ("S02", "ae-underreport")),
    )
    with make_sessionmaker(engine)() as session:
        ctx = DemoContext(subjects=0, seed=3)
        spine_demo.build(session, settings, ctx)
        product_demo.build(session, settings, ctx)
        simulate_trial(session, np.random.default_rng(3), config, today=DAY)
        yield session
    engine.dispose()


def test_the_simulator_adds_the_numbered_sites(service_trial):
    codes = set(service_trial.scalars(select(Site.code)))
    assert {"S01", "S02"} <= codes


def test_a_late_site_enters_forms_weeks_after_the_visit_through_the_services(service_trial):
    rows = service_trial.execute(
        select(Site.code, FormEntry.entered_at, VisitRecord.visit_date)
        .join(VisitRecord, VisitRecord.id == FormEntry.visit_id)
        .join(Site, Site.id == FormEntry.site_id)
    ).all()
    lag = {"S01": [], "S02": []}
    for code, entered, visit_date in rows:
        lag[code].append((entered.date() - visit_date).days)
    assert lag["S01"] and max(lag["S01"]) <= 3
    assert sum(1 for d in lag["S02"] if d > 10) >= 0.2 * len(lag["S02"])
    assert all(d <= 31 for d in lag["S02"])
    assert service_trial.scalar(select(AdverseEvent.id).limit(1)) is not None


def test_the_command_refuses_a_fault_at_a_site_it_does_not_simulate(cli, tmp_path):  # noqa: F811
    out = cli(
        "clinical",
        "simulate",
        "--db",
        tmp_path / "t.db",
        "--sites",
        "5",
        "--site-fault",
        "S07:late-entry",
    )
    assert out.code == 2
    assert "S07 is not one of the simulated sites" in out.err


def test_an_ineligible_sites_screening_ct_is_a_valid_imaging_form_showing_no_pneumonia():
    """What the simulator enters through the services for an ineligible site's patient, and
    what IE's rule reads back as "no pneumonia"."""
    from msctrial.clinical.visits.edit_checks import check_form
    from msctrial.clinical.visits.forms import get_form
    from msctrial.monitoring.model import no_pneumonia_on_ct
    from msctrial.simulation.faults import NO_PNEUMONIA

    values = {"modality": "ct", "lesion_proportion": 35.0, "bilateral_opacities": "yes"}
    values |= {"fibrosis": "no", **NO_PNEUMONIA}
    checked = check_form(get_form("imaging"), values, today=DAY)
    stored = {k: v.number if v.number is not None else v.text for k, v in checked.values.items()}
    assert no_pneumonia_on_ct(stored), stored
