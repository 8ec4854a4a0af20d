"""Demo step: simulated patients, through the real clinical services (``msctrial.simulation``).

``msctrial demo --subjects N --seed S`` enrols N patients over the last weeks and plays their
course up to today: screening, consent, randomisation, dispensing from the demo's released
lots, infusions, visits, adverse events, queries, withdrawals and deaths. The seed fixes the
trial (the randomisation list's secret seed is drawn from it too). Idempotent: a trial that
already has subjects is left as it is, so running the demo twice duplicates nothing.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from msctrial.clinical.subjects.tables import Subject
from msctrial.core.settings import Settings
from msctrial.demo import DemoContext
from msctrial.protocol.service import only_trial
from msctrial.simulation.config import SimulationConfig
from msctrial.simulation.trial import simulate_trial


def build(session: Session, settings: Settings, ctx: DemoContext) -> None:
    trial = only_trial(session)
    if ctx.subjects <= 0:
        return
    if session.scalar(select(Subject.id).where(Subject.trial_id == trial.id).limit(1)) is not None:
        return
    rng = np.random.default_rng(ctx.seed)
    simulate_trial(session, rng, SimulationConfig(subjects=ctx.subjects))
