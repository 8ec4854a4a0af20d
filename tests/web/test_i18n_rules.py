"""Which language a request gets, and times and dates as each language writes them. Pure."""

from __future__ import annotations

import datetime as dt

import pytest

from msctrial.web.formats import local_date, local_time, offset_label, page_zone
from msctrial.web.i18n import accept_language, choose_language, match_language, term

MOMENT = dt.datetime(2026, 3, 2, 17, 15, tzinfo=dt.UTC)  # 01:15 on 3 March in Wuhan


def test_accept_language_is_read_most_preferred_first_and_refusals_dropped():
    header = "en;q=0.5, zh-CN, fr;q=0, zh;q=0.9"
    assert accept_language(header) == ["zh-CN", "zh", "en"]


@pytest.mark.parametrize(
    ("tag", "language"),
    [
        ("zh-CN", "zh-CN"),
        ("zh_CN", "zh-CN"),
        ("zh", "zh-CN"),
        ("zh-Hans", "zh-CN"),
        ("zh-Hans-CN", "zh-CN"),
        ("zh-TW", None),
        ("zh-Hant-HK", None),
        ("en-GB", "en"),
        ("fr-FR", None),
        ("", None),
    ],
)
def test_a_browser_language_tag_maps_to_an_offered_language(tag, language):
    assert match_language(tag) == language


def test_the_users_stored_choice_wins_over_this_browser_and_its_header():
    assert choose_language(user_choice="en", session_choice="zh-CN", header="zh-CN") == "en"
    assert choose_language(user_choice=None, session_choice="zh-CN", header="en") == "zh-CN"


def test_before_any_choice_the_browsers_first_offered_language_decides():
    assert choose_language(user_choice=None, session_choice=None, header="fr, zh-TW, zh;q=0.8") == (
        "zh-CN"
    )
    assert choose_language(user_choice=None, session_choice=None, header="fr, de") == "en"
    assert choose_language(user_choice="xx", session_choice=None, header=None) == "en"


def test_a_time_is_shown_at_the_site_with_its_offset_in_each_languages_style():
    assert local_time(MOMENT, "Asia/Shanghai", "zh-CN") == "2026年3月3日 01:15 UTC+8"
    assert local_time(MOMENT, "Asia/Shanghai", "en") == "Mar 3, 2026 01:15 UTC+8"
    assert local_time(MOMENT, None, "en") == "Mar 2, 2026 17:15 UTC"


def test_a_naive_stored_time_is_read_as_utc():
    naive = MOMENT.replace(tzinfo=None)
    assert local_time(naive, "Asia/Shanghai", "en") == local_time(MOMENT, "Asia/Shanghai", "en")


@pytest.mark.parametrize(
    ("zone", "label"),
    [("UTC", "UTC"), ("Asia/Kolkata", "UTC+5:30"), ("America/Sao_Paulo", "UTC-3")],
)
def test_the_offset_label_is_unambiguous(zone, label):
    from zoneinfo import ZoneInfo

    assert offset_label(MOMENT.astimezone(ZoneInfo(zone))) == label


def test_a_date_is_written_as_the_language_writes_it():
    assert local_date(dt.date(2026, 3, 3), "zh-CN") == "2026年3月3日"
    assert local_date(dt.date(2026, 3, 3), "en") == "Mar 3, 2026"


def test_times_naming_no_site_use_the_readers_site_else_the_trials_single_zone_else_utc():
    zones = {"WUH": "Asia/Shanghai", "LON": "Europe/London"}
    assert page_zone(frozenset({"LON"}), zones) == "Europe/London"
    assert page_zone(frozenset(), zones) == "UTC"
    assert page_zone(frozenset(), {"WUH": "Asia/Shanghai", "BJS": "Asia/Shanghai"}) == (
        "Asia/Shanghai"
    )


def test_an_untranslated_stored_word_reads_as_stored_or_spaced_when_asked():
    assert term("screen_failure") == "screen_failure"
    assert term("screen_failure", spaced=True) == "screen failure"
    assert term(None) == "" and term("") == ""
