"""In real Chromium: the registry page, its search and sort, and one trial's evidence."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from msctrial.core.actors import Actor
from msctrial.core.db import make_engine
from msctrial.core.migrate import upgrade
from msctrial.core.session import make_sessionmaker
from msctrial.core.settings import Settings
from msctrial.demo import DemoContext, spine
from msctrial.registry import service
from tests.e2e.conftest import LiveServer, log_in
from tests.registry.test_service import corpus

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def registry_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The demo's sites and users plus three registered MSC trials, served on a free port."""
    folder: Path = tmp_path_factory.mktemp("registry")
    settings = Settings(
        database_url=f"sqlite:///{folder / 'demo.db'}", demo=True, cookie_secure=False
    )
    engine = make_engine(settings)
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        spine.build(session, settings, DemoContext(subjects=0, seed=3))
        service.load_records(session, Actor.system_actor("test"), corpus(folder))
    engine.dispose()
    with LiveServer(settings) as server:
        yield server


def test_a_monitor_searches_sorts_and_opens_a_registered_trial(page, registry_server):
    log_in(page, registry_server.url, "monitor")
    page.click("nav >> text=Registry")
    assert page.locator("tr.trial").count() == 3
    assert page.locator("#fig-dose svg").count() == 1
    page.fill("#q", "spain")
    page.click("form[role=search] button")
    page.wait_for_url("**q=spain**")
    assert page.locator("tr.trial").count() == 1
    page.goto(f"{registry_server.url}/registry")
    page.click("#trial-table >> text=Start")
    page.click("#trial-table >> text=Start")  # again: newest first
    first = page.locator("tr.trial td a").first
    assert first.inner_text() == "NCT09400003"
    page.goto(f"{registry_server.url}/registry")
    page.click("text=NCT09400001")
    assert page.locator("h1").inner_text().startswith("NCT09400001")
    assert "4.0*10E7" in page.locator("#design").inner_text()
    assert "dose_per_kg_low" in page.locator("#findings").inner_text()


@pytest.fixture(scope="module")
def ictrp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The demo's users plus a small WHO ICTRP export of several registers."""
    from tests.registry.ictrp_records import msc_rows, write_xlsx

    folder: Path = tmp_path_factory.mktemp("ictrp")
    settings = Settings(
        database_url=f"sqlite:///{folder / 'demo.db'}", demo=True, cookie_secure=False
    )
    engine = make_engine(settings)
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        spine.build(session, settings, DemoContext(subjects=0, seed=3))
        export = write_xlsx(folder / "COVID19-web.xlsx", msc_rows())
        service.load_records(session, Actor.system_actor("test"), [export])
    engine.dispose()
    with LiveServer(settings) as server:
        yield server


def test_a_user_filters_by_registry_date_and_combination_and_sees_the_landscape_then(
    page, ictrp_server
):
    log_in(page, ictrp_server.url, "monitor")
    page.goto(f"{ictrp_server.url}/registry")
    total = page.locator("tr.trial").count()
    assert total == 7
    page.select_option("#registry", "ChiCTR")
    page.click("#filters button")
    page.wait_for_url("**registry=ChiCTR**")
    assert page.locator("tr.trial").count() == 4
    assert page.locator("tr.trial >> text=cancelled").count() == 1
    page.fill("#registered_to", "2020-02-28")
    page.click("#filters button")
    page.wait_for_url("**registered_to=2020-02-28**")
    assert page.locator("tr.trial").count() == 2
    page.goto(f"{ictrp_server.url}/registry")
    page.select_option("#combination", "yes")
    page.click("#filters button")
    page.wait_for_url("**combination=yes**")
    rows = page.locator("tr.trial")
    assert rows.count() == 1 and "with ruxolitinib" in rows.first.inner_text()
    page.goto(f"{ictrp_server.url}/registry")
    page.fill("#as_of", "2020-07-08")
    page.click("#filters button")
    page.wait_for_url("**as_of=2020-07-08**")
    landscape = page.locator("#landscape-at").inner_text()
    # dates are written as the reader's language writes them (web.formats)
    assert "Landscape at Jul 8, 2020" in landscape and "each counted once" in landscape
    assert "1 record of the same trial on another registry merged" in landscape
    link = page.locator("tr.trial a.registry-record").first
    assert link.get_attribute("href").startswith("http")
    page.click("text=ChiCTR2000099901")
    record = page.locator("#registry-record")
    assert record.get_attribute("href") == "http://www.chictr.org.cn/showproj.aspx?proj=99901"
    assert "the record on ChiCTR" in record.inner_text()
