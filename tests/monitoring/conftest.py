"""A small simulated trial, built once through the real services and copied for each test."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.orm import Session

from msctrial.core.db import make_engine
from msctrial.core.session import create_all, make_sessionmaker
from msctrial.core.settings import Settings
from msctrial.demo import DemoContext
from msctrial.demo import product as product_demo
from msctrial.demo import spine as spine_demo
from msctrial.simulation.bulk import bulk_trial
from msctrial.simulation.config import SimulationConfig
from msctrial.simulation.faults import numbered_sites
from msctrial.simulation.trial import simulate_trial
from tests.conftest import TEST_SECRET

SEED = 20201103
# A past day, so nothing depends on the wall clock; the KRIs are read as of that evening.
DAY = dt.date.today() - dt.timedelta(days=1)
AS_OF = dt.datetime.combine(DAY, dt.time(23, 30), tzinfo=dt.UTC)
CONFIG = SimulationConfig(subjects=12, enrolment_days=50, screen_failure_rate=0.2)


@pytest.fixture(scope="session")
def simulated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's three sites and users, its lots, and 12 simulated patients (SQLite file)."""
    path = tmp_path_factory.mktemp("monitoring") / "world.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    create_all(engine)
    settings = Settings(database_url=url, secret_key=TEST_SECRET, migrate_on_start=False)
    with make_sessionmaker(engine)() as session:
        ctx = DemoContext(subjects=0, seed=SEED)
        spine_demo.build(session, settings, ctx)
        product_demo.build(session, settings, ctx)
        simulate_trial(session, np.random.default_rng(SEED), CONFIG, today=DAY)
    engine.dispose()
    return path


@dataclass
class World:
    path: Path
    url: str
    session: Session


@pytest.fixture
def world(simulated_db: Path, tmp_path: Path) -> Iterator[World]:
    """A private copy of the simulated trial, with a session on it."""
    path = tmp_path / "world.db"
    shutil.copyfile(simulated_db, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        yield World(path, url, session)
    engine.dispose()


# Issue 11's fault-detection trial: 20 numbered sites, 600 patients, three faulty sites.
FAULTS = (("S07", "ae-underreport"), ("S12", "late-entry"), ("S03", "ineligible"))
FAULT_KRI = {"S07": "AE", "S12": "ODAT", "S03": "IE"}
SITES20 = numbered_sites(20)


def bulk_world(path: Path, seed: int, subjects: int, faults: tuple[tuple[str, str], ...]) -> Path:
    """The demo's users and protocol, and a bulk-written trial of 20 sites (``bulk_trial``:
    the same patients and faults as the simulator, written in a few seconds)."""
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    create_all(engine)
    settings = Settings(database_url=url, secret_key=TEST_SECRET, migrate_on_start=False)
    config = SimulationConfig(subjects=subjects, enrolment_days=120, sites=SITES20, faults=faults)
    with make_sessionmaker(engine)() as session:
        spine_demo.build(session, settings, DemoContext(subjects=0, seed=seed))
        bulk_trial(session, np.random.default_rng(seed), config, today=DAY)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def faulty_trial(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    """600 patients at S01-S20 with S07 under-reporting AEs, S12 entering late and S03
    randomising ineligible patients; built once, read only."""
    path = bulk_world(tmp_path_factory.mktemp("faults") / "faulty.db", SEED, 600, FAULTS)
    engine = make_engine(f"sqlite:///{path}")
    with make_sessionmaker(engine)() as session:
        yield session
    engine.dispose()
