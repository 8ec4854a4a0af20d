"""Data sets for the analysis tests: published reference data and small frames as CSV text."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from msctrial.core.db import make_engine
from msctrial.core.migrate import upgrade
from msctrial.core.session import make_sessionmaker
from msctrial.core.settings import load_settings
from msctrial.demo import DemoContext
from msctrial.demo import product as product_demo
from msctrial.demo import spine as spine_demo
from msctrial.simulation.config import SimulationConfig
from msctrial.simulation.trial import simulate_trial
from tests.cli.conftest import cli  # noqa: F401  (the in-process command line)
from tests.conftest import PG_URL, _pg_problem, unavailable

# A past day, so that nothing depends on the wall clock.
DAY = dt.date.today() - dt.timedelta(days=1)


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame as ``read_csv`` gives it: every cell text, rows numbered from 1."""
    text = frame.astype(str)
    text.index = pd.RangeIndex(1, len(frame) + 1)
    return text


@pytest.fixture(scope="session")
def leukaemia() -> pd.DataFrame:
    """Freireich et al. (Blood 1963) 6-MP remission data, 21 + 21 patients, as lifelines bundles
    it (``load_leukemia``: t in weeks, status 1 relapse, Rx 1 placebo), with the arm named."""
    from lifelines.datasets import load_leukemia

    data = load_leukemia()
    data["arm"] = data["Rx"].map({0: "6-MP", 1: "placebo"})
    return as_text(data)


@pytest.fixture
def write_csv(tmp_path: Path):  # noqa: ANN201
    """``write_csv(frame)`` → the path of a CSV file holding it."""

    def write(frame: pd.DataFrame, name: str = "data.csv") -> Path:
        path = tmp_path / name
        frame.to_csv(path, index=False)
        return path

    return write


def _build_trial(url: str) -> None:
    """A small simulated trial (12 patients, effect 1) through the real services."""
    settings = load_settings(database_url=url)
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


@pytest.fixture(scope="session")
def sqlite_trial_db(tmp_path_factory) -> str:
    """The simulated trial on SQLite, as a --db value: for the report and command-line tests,
    whose subject is the output rather than the database."""
    url = f"sqlite:///{tmp_path_factory.mktemp('trial') / 'trial.db'}"
    _build_trial(url)
    return url


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def trial_db(request, sqlite_trial_db) -> Iterator[str]:
    """The simulated trial's database URL, on SQLite and on PostgreSQL (the service tests)."""
    if request.param == "sqlite":
        yield sqlite_trial_db
        return
    problem = _pg_problem()
    if problem:
        unavailable(problem)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    try:
        _build_trial(url)
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
