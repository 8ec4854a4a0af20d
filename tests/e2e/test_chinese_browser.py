"""In real Chromium, in Simplified Chinese: a browser set to zh-CN gets the Chinese login page,
and one patient goes from the screening log to randomisation with the pages in Chinese; an
English browser switches language on the login page. Assertions read what the page says."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from msctrial.clinical.randomisation.service import set_up_randomisation
from msctrial.core.db import make_engine
from msctrial.core.session import make_sessionmaker
from msctrial.core.settings import Settings
from msctrial.demo import build_demo
from msctrial.demo.spine import demo_password
from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.browser
WUH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def zh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The demo trial with a randomisation list, served on a free port."""
    from msctrial.clinical.randomisation.tables import RandomisationList
    from msctrial.core.users import get_user, load_actor

    db: Path = tmp_path_factory.mktemp("zh") / "demo.db"
    settings = Settings(database_url=f"sqlite:///{db}", demo=True, cookie_secure=False)
    build_demo(settings, subjects=4, seed=11)
    engine = make_engine(settings)
    with make_sessionmaker(engine)() as session:
        if session.scalar(select(RandomisationList.id)) is None:
            admin = load_actor(session, get_user(session, "admin"))
            set_up_randomisation(session, admin, seed="browser-seed-000000002")
    engine.dispose()
    with LiveServer(settings) as server:
        yield server


@pytest.fixture
def zh_page(browser) -> Iterator[object]:  # noqa: ANN001
    """A page of a browser whose language is Simplified Chinese (its Accept-Language)."""
    context = browser.new_context(locale="zh-CN")
    context.set_default_timeout(15000)
    yield context.new_page()
    context.close()


def site_time(minutes_ago: int) -> str:
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes_ago)
    return now.astimezone(WUH).strftime("%Y-%m-%dT%H:%M")


def log_in(page, url: str, username: str) -> None:  # noqa: ANN001
    page.goto(f"{url}/login")
    assert page.locator("h1").inner_text() == "登录"
    page.fill("#username", username)
    page.fill("#password", demo_password(username))
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state()


def log_out(page) -> None:  # noqa: ANN001
    page.click("text=退出登录")
    page.wait_for_url("**/login")


def test_a_chinese_browser_gets_the_chinese_login_page(zh_page, zh_server):
    zh_page.goto(f"{zh_server.url}/login")
    assert zh_page.locator("html").get_attribute("lang") == "zh-CN"
    assert zh_page.locator("label[for=username]").inner_text() == "用户名"
    assert zh_page.locator("label[for=password]").inner_text() == "密码"


def test_an_english_browser_switches_to_chinese_on_the_login_page(page, zh_server):
    page.goto(f"{zh_server.url}/login")
    assert page.locator("h1").inner_text() == "Log in"
    page.click("form.language button[lang=zh-CN]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("h1").inner_text() == "登录"


def test_in_chinese_the_protocol_lots_and_one_patient_to_randomisation(zh_page, zh_server):
    page, url = zh_page, zh_server.url

    # The protocol, as the monitor reads it: the guidance findings and the design in Chinese.
    log_in(page, url, "monitor")
    page.click("nav >> text=试验方案")
    page.wait_for_load_state()
    assert "专家共识核查结果" in page.locator("#findings").inner_text()
    assert "访视计划" in page.content()
    assert "UTC+8" in page.content()  # the saved time, at the sites' zone
    log_out(page)

    # The lots, as QC sees them: statuses and headings in Chinese, expiry dates the Chinese way.
    log_in(page, url, "qc")
    page.click("nav >> text=批次")
    page.wait_for_load_state()
    lots = page.locator("#lots").inner_text()
    assert "有效期至" in lots and ("已放行" in lots or "待检" in lots)
    assert "年" in lots and "月" in lots
    log_out(page)

    # A patient on the screening log, consented, screened and randomised by the investigator.
    log_in(page, url, "investigator")
    page.click("nav >> text=受试者")
    assert page.locator("h1").inner_text() == "受试者"
    page.click("text=筛选日志新增患者")
    assert page.locator("h1").inner_text() == "将患者登记到筛选日志"
    page.select_option("#site", "WUH")
    page.click("#prescreen-form button[type=submit]")
    page.wait_for_url("**/clinical/subjects/*")
    code = page.url.rsplit("/", 1)[1]
    page.fill("#form_version", "1.0 (2026-01-10)")
    page.fill("#consented_at", site_time(90))
    page.click("#consent-form button[type=submit]")
    page.wait_for_load_state()

    page.click("#screen-link")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == f"筛选 {code}"
    assert page.locator("label[for=year_of_birth]").inner_text() == "出生年份"
    assert page.locator("label[for=spo2_rest_pct]").inner_text() == "静息状态下 SpO2（%）"
    page.fill("#year_of_birth", "1962")
    page.select_option("#sex", "male")
    page.fill("#weight_kg", "70")
    page.fill("#respiratory_rate", "32")
    page.fill("#spo2_rest_pct", "91")
    page.select_option("#pneumonia_on_imaging", "yes")
    for select_ in page.locator("select[id^=inc_]").all():
        select_.select_option("yes")
    for select_ in page.locator("select[id^=exc_]").all():
        select_.select_option("no")
    page.click("#screen-form button[type=submit]")
    page.wait_for_url(f"**/clinical/subjects/{code}")

    page.click("#randomise-link")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == f"随机化 {code}"
    assert "随机化不可撤销。" in page.content()
    assert "签名并随机化" in page.locator("#randomise-form").inner_text()
    page.fill("#password", demo_password("investigator"))
    page.click("#randomise-form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#randomisation-no").inner_text().startswith("R")

    # The subjects list now says, in Chinese, that the patient is randomised.
    page.click("nav >> text=受试者")
    row = page.locator(f"#subjects tr:has-text('{code}')").inner_text()
    assert "已随机化" in row and "重型" in row
