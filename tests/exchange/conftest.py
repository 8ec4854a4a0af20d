"""A small simulated trial for the export tests: 6 patients at the demo's sites."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from msctrial.core.actors import Actor, Grant
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

# A past day, so that nothing depends on the wall clock.
DAY = dt.date.today() - dt.timedelta(days=1)

BLINDED_ROLES = ("monitor", "statistician", "admin", "safety")
UNBLINDED_ROLES = ("pharmacist", "dsmb")


def build_trial(url: str) -> None:
    """The simulated trial through the real services (the analysis tests' world, smaller)."""
    settings = load_settings(database_url=url)
    engine = make_engine(settings)
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        ctx = DemoContext(subjects=0, seed=5)
        spine_demo.build(session, settings, ctx)
        product_demo.build(session, settings, ctx)
        config = SimulationConfig(subjects=6, enrolment_days=10, treatment_effect=1.0)
        simulate_trial(session, np.random.default_rng(5), config, today=DAY)
        session.commit()
    engine.dispose()


@pytest.fixture(scope="session")
def trial_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('exchange') / 'trial.db'}"
    build_trial(url)
    return url


@pytest.fixture
def session(trial_url):  # noqa: ANN201
    engine = make_engine(load_settings(database_url=trial_url))
    with make_sessionmaker(engine)() as s:
        yield s
    engine.dispose()


def actor(role: str, site_id: int | None = None) -> Actor:
    return Actor(username=f"test:{role}", grants=(Grant(role, site_id=site_id),))


def secrets_of_the_allocation(session) -> list[str]:  # noqa: ANN001
    """What a blinded export must never hold: arm names, lot codes, unit codes, product kinds
    (as the route walk searches bodies: tests/web/test_blinding_every_route.py)."""
    from sqlalchemy import select

    from msctrial.product.tables import Lot, Unit
    from msctrial.protocol.service import get_protocol, only_trial

    protocol = get_protocol(session, only_trial(session).code).protocol
    return [
        *(a.name for a in protocol.arms),
        *session.scalars(select(Lot.code)),
        *session.scalars(select(Unit.code)),
        "placebo",
        "EXLOT",
        "EXVAMT",
    ]


def site_id(session, code: str) -> int:  # noqa: ANN001
    from sqlalchemy import select

    from msctrial.core.tables import Site

    return session.scalar(select(Site.id).where(Site.code == code))


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def any_trial_url(request, tmp_path_factory):  # noqa: ANN001, ANN201
    """The simulated trial on each backend (PostgreSQL: a schema of its own, dropped after)."""
    if request.param == "sqlite":
        yield request.getfixturevalue("trial_url")
        return
    import uuid

    from sqlalchemy import create_engine, text

    from tests.conftest import PG_URL, _pg_problem, unavailable

    problem = _pg_problem()
    if problem:
        unavailable(problem)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = f"{PG_URL}?options=-csearch_path%3D{schema}"
        build_trial(url)
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def any_session(any_trial_url):  # noqa: ANN001, ANN201
    """A session on the simulated trial, on SQLite and on PostgreSQL."""
    engine = make_engine(load_settings(database_url=any_trial_url))
    with make_sessionmaker(engine)() as s:
        yield s
    engine.dispose()
