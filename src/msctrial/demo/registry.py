"""Demo step: the registry survey, from real ClinicalTrials.gov records when some are at hand.

msctrial ships no registry records (they are ClinicalTrials.gov's, and invented trials would
mislead), so the demo loads ``MSCTRIAL_DEMO_REGISTRY`` (records fetched with
``msctrial registry fetch``, say) or, on a development machine, the project's shared copy beside
the checkout. Without either the registry page explains how to fetch and load. Idempotent: a
store that has been loaded once is left alone.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import msctrial
from msctrial.core.actors import Actor
from msctrial.core.settings import Settings
from msctrial.demo import DemoContext
from msctrial.registry import service
from msctrial.registry.tables import RegistryStudy


def records_source(settings: Settings) -> Path | None:
    if settings.demo_registry is not None:
        return settings.demo_registry
    shared = Path(msctrial.__file__).resolve().parents[3] / "shared" / "registry" / "ctgov"
    return shared if shared.is_dir() else None


def build(session: Session, settings: Settings, ctx: DemoContext) -> None:
    actor = Actor.system_actor("demo")
    source = records_source(settings)
    if source is None:
        return
    if service.last_load(session, actor) is None:
        service.load_records(session, actor, [source])
    stored = session.scalar(select(func.count()).select_from(RegistryStudy))
    ctx.notes.append(f"registry survey: {stored} MSC trials, from the records in {source}")
