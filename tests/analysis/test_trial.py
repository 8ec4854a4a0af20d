"""The trial's own analysis from its stored visits: pooled for the statistician, by arm for the
DSMB, through the service and the command line."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from msctrial.analysis.trial import analyse_trial, trial_endpoints
from msctrial.core.actors import Actor, Grant
from msctrial.core.db import make_engine
from msctrial.core.errors import PermissionDenied
from msctrial.core.migrate import upgrade
from msctrial.core.session import make_sessionmaker
from msctrial.core.settings import load_settings
from msctrial.demo import DemoContext
from msctrial.demo import product as product_demo
from msctrial.demo import spine as spine_demo
from msctrial.simulation.config import SimulationConfig
from msctrial.simulation.trial import simulate_trial

STATISTICIAN = Actor(username="stat", grants=(Grant("statistician"),))
DSMB = Actor(username="chair", grants=(Grant("dsmb"),))
# A past day, so that nothing depends on the wall clock; 60 days of follow-up for everyone.
DAY = dt.date.today() - dt.timedelta(days=1)


@pytest.fixture(scope="module")
def trial_db(tmp_path_factory) -> Path:
    """A small simulated trial (12 patients, effect 1) through the real services, on SQLite."""
    path = tmp_path_factory.mktemp("trial") / "trial.db"
    settings = load_settings(database_url=f"sqlite:///{path}")
    engine = make_engine(settings)
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        ctx = DemoContext(subjects=0, seed=11)
        spine_demo.build(session, settings, ctx)
        product_demo.build(session, settings, ctx)
        config = SimulationConfig(subjects=12, enrolment_days=20, treatment_effect=1.0)
        simulate_trial(session, np.random.default_rng(11), config, today=DAY)
        session.commit()
    engine.dispose()
    return path


@pytest.fixture
def session(trial_db):  # noqa: ANN201
    engine = make_engine(load_settings(database_url=f"sqlite:///{trial_db}"))
    with make_sessionmaker(engine)() as session:
        yield session
    engine.dispose()


def test_the_statistician_gets_pooled_endpoints_and_no_arm(session):
    endpoints = trial_endpoints(session, STATISTICIAN)
    assert "arm" not in endpoints.columns
    assert len(endpoints) >= 5
    assert {"died_by_day_28", "ttci_days", "ttci_improved", "ventilator_free_days",
            "pf_baseline", "pf_change_day_6"} <= set(endpoints.columns)  # fmt: skip
    result = analyse_trial(session, STATISTICIAN).to_dict()
    assert result["blinded"] is True and result["comparisons"] == {}
    assert "arm" not in json.dumps(result).lower().replace("pharm", "")


def test_the_dsmb_gets_the_comparisons_by_arm(session):
    endpoints = trial_endpoints(session, DSMB)
    assert endpoints["arm"].nunique() == 2
    result = analyse_trial(session, DSMB).to_dict()
    assert result["blinded"] is False
    assert {"ttci", "mortality_28", "pf_change_day_6"} <= set(result["comparisons"])
    ttci = result["comparisons"]["ttci"]
    assert "not_estimable" in ttci or {ttci["reference"], ttci["other"]} == set(endpoints["arm"])


def test_a_role_without_analysis_rights_is_refused(session):
    with pytest.raises(PermissionDenied):
        trial_endpoints(session, Actor(username="inv", grants=(Grant("investigator", 1, "WUH"),)))


def test_the_endpoints_mortality_agrees_with_the_recorded_deaths(session):
    from msctrial.clinical.subjects.tables import StudyExit, Subject

    endpoints = trial_endpoints(session, STATISTICIAN)
    deaths = {
        code
        for code, kind, day, day0 in session.execute(
            __import__("sqlalchemy").select(Subject.subject_code, StudyExit.kind,
                                            StudyExit.exit_date, Subject.day0_date)
            .join(StudyExit, StudyExit.subject_id == Subject.id)
        )
        if kind == "died" and (day - day0).days <= 28
    }  # fmt: skip
    assert set(endpoints.index[endpoints["died_by_day_28"] == 1]) == deaths


def test_the_trial_command_is_blinded_by_default(cli, trial_db):
    result = cli("analysis", "trial", "--db", trial_db, "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["blinded"] is True and data["comparisons"] == {}


def test_the_endpoints_command_writes_no_arm_column_for_a_blinded_reader(cli, trial_db):
    result = cli("analysis", "endpoints", "--db", trial_db)
    assert result.code == 0, result.err
    frame = pd.read_csv(io.StringIO(result.out))
    assert "arm" not in frame.columns and "subject" in frame.columns


def test_the_trial_command_names_a_missing_database(cli, tmp_path):
    from tests.cli.conftest import assert_one_plain_error

    assert_one_plain_error(cli("analysis", "trial", "--db", tmp_path / "none.db"), "database")
