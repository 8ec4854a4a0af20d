"""The same simulated trial on SQLite and on PostgreSQL gives the same KRIs, plan, scorecard
and snapshots: the counts use nothing one backend lacks."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy.engine import Engine

from msctrial.core.actors import Actor, Grant
from msctrial.core.session import create_all, make_sessionmaker
from msctrial.core.settings import Settings
from msctrial.demo import DemoContext
from msctrial.demo import product as product_demo
from msctrial.demo import spine as spine_demo
from msctrial.monitoring.history import read_history, take_snapshot
from msctrial.monitoring.service import key_risk_indicators, monitoring_plan, trial_scorecard
from msctrial.simulation.config import SimulationConfig
from msctrial.simulation.trial import simulate_trial
from tests.conftest import TEST_SECRET
from tests.monitoring.conftest import AS_OF, DAY, SEED

MONITOR = Actor("monitor", grants=(Grant("monitor"),))
SMALL = SimulationConfig(subjects=4, enrolment_days=30)


def _results(engine: Engine) -> dict:
    create_all(engine)
    url = engine.url.render_as_string(hide_password=False)
    settings = Settings(database_url=url, secret_key=TEST_SECRET, migrate_on_start=False)
    with make_sessionmaker(engine)() as session:
        ctx = DemoContext(subjects=0, seed=SEED)
        spine_demo.build(session, settings, ctx)
        product_demo.build(session, settings, ctx)
        simulate_trial(session, np.random.default_rng(SEED), SMALL, today=DAY)
        kris = key_risk_indicators(session, MONITOR, now=AS_OF).to_list()
        plan = [p.to_dict() for p in monitoring_plan(session, MONITOR, now=AS_OF)]
        card = trial_scorecard(session, MONITOR, settings, now=AS_OF).to_dict()
        take_snapshot(session, MONITOR, now=AS_OF)
        history = [r.to_dict() for r in read_history(session, MONITOR)]
    return {"kris": kris, "plan": plan, "card": card, "history": history}


@pytest.mark.postgres
def test_sqlite_and_postgresql_agree(sqlite_engine, pg_engine):
    on_sqlite = _results(sqlite_engine)
    on_postgres = _results(pg_engine)
    assert on_sqlite["kris"] and on_sqlite["history"]
    for key in ("kris", "plan", "history"):
        assert _rounded(on_postgres[key]) == _rounded(on_sqlite[key]), key
    # The scorecard names records by id (infusion 3, SAE report 1): the same on both.
    assert on_postgres["card"] == on_sqlite["card"]


def _rounded(value):  # noqa: ANN001, ANN202
    """Floats to 9 significant digits: the backends sum in different orders."""
    if isinstance(value, float):
        return float(f"{value:.9g}")
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value
