"""The demo trial: a reference protocol, three sites, one user per role, lots and patients.

``build_demo`` runs each package's step in the order of the flow of data. Every step is
idempotent, so running the demo twice duplicates nothing.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from msctrial.core.db import make_engine
from msctrial.core.migrate import upgrade
from msctrial.core.session import make_sessionmaker
from msctrial.core.settings import Settings

# Steps, in flow order; each module has ``build(session, settings, ctx)``. A step whose module
# does not exist yet is skipped.
STEPS = ["spine", "product", "clinical", "registry"]


@dataclass(frozen=True)
class Login:
    username: str
    password: str
    roles: str


@dataclass
class DemoContext:
    subjects: int
    seed: int
    trial_code: str = ""
    logins: list[Login] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def build_demo(settings: Settings, subjects: int = 40, seed: int = 2020) -> DemoContext:
    engine = make_engine(settings)
    try:
        upgrade(engine, settings.keyring())
        ctx = DemoContext(subjects=subjects, seed=seed)
        factory = make_sessionmaker(engine, settings.keyring())
        for step in STEPS:
            try:
                module = importlib.import_module(f"msctrial.demo.{step}")
            except ModuleNotFoundError as exc:
                if exc.name != f"msctrial.demo.{step}":
                    raise
                continue
            with factory() as session:
                module.build(session, settings, ctx)
        return ctx
    finally:
        engine.dispose()
