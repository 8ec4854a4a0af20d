"""The demo's registry survey: loaded once from the records it is given, never twice."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from msctrial.core.settings import Settings
from msctrial.demo import DemoContext, registry, spine
from msctrial.registry.tables import RegistryStudy
from tests.registry.test_service import corpus


def test_the_demo_loads_the_registry_records_it_is_given_once(session, settings, tmp_path: Path):
    folder = tmp_path / "records"
    folder.mkdir()
    corpus(folder)
    demo_settings = settings.model_copy(update={"demo_registry": folder})
    ctx = DemoContext(subjects=0, seed=1)
    spine.build(session, demo_settings, ctx)
    registry.build(session, demo_settings, ctx)
    registry.build(session, demo_settings, ctx)
    assert session.scalar(select(func.count()).select_from(RegistryStudy)) == 3
    assert ctx.notes == [f"registry survey: 3 MSC trials, from the records in {folder}"] * 2


def test_the_demo_registry_source_is_the_setting_when_given(tmp_path: Path):
    settings = Settings(demo_registry=tmp_path)
    assert registry.records_source(settings) == tmp_path
