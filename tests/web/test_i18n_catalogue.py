"""The Chinese catalogue: it loads as itself (not English in disguise) and it is complete.

Completeness is judged against a fresh extraction of the sources (``babel.cfg``), not against
the committed ``messages.pot``, so a template string marked but never extracted, or extracted
but never translated, fails here. After new templates arrive: ``make i18n-update``, fill each
new ``msgstr`` in ``src/msctrial/web/locale/zh_CN/LC_MESSAGES/messages.po``, and remove any
``#, fuzzy`` mark once the proposed translation is checked.
"""

from __future__ import annotations

import gettext
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po
from babel.support import Translations

from msctrial.web import i18n

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The msgids of the sources as ``make i18n-extract`` would write them today."""
    out = tmp_path_factory.mktemp("pot") / "messages.pot"
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-o", str(out), str(ROOT)]
    )
    with out.open("rb") as f:
        return {_key(m.id) for m in read_po(f) if m.id}


@pytest.fixture(scope="module")
def chinese() -> dict[str, object]:
    with i18n.catalogue_path("zh-CN").open("rb") as f:
        return {_key(m.id): m for m in read_po(f) if m.id}


def _key(msgid: str | tuple[str, ...]) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


def test_the_extraction_finds_the_page_text_the_menu_the_stored_words_and_the_form_labels(
    extracted: set[str],
) -> None:
    for text in ("Log in", "Audit trail", "screen failure", "PaO2/FiO2 (oxygenation index)"):
        assert text in extracted


def test_every_message_the_sources_mark_has_a_chinese_translation(
    extracted: set[str], chinese: dict[str, object]
) -> None:
    missing = sorted(extracted - chinese.keys())
    assert missing == [], f"not in the zh_CN catalogue; run `make i18n-update`: {missing}"
    empty = sorted(k for k in extracted if not all(_strings(chinese[k])))
    assert empty == [], f"untranslated in zh_CN/LC_MESSAGES/messages.po: {empty}"


def test_no_chinese_translation_is_fuzzy_or_breaks_a_placeholder(
    chinese: dict[str, object],
) -> None:
    fuzzy = sorted(k for k, m in chinese.items() if m.fuzzy)  # type: ignore[attr-defined]
    assert fuzzy == [], f"check these proposed translations and remove '#, fuzzy': {fuzzy}"
    with i18n.catalogue_path("zh-CN").open("rb") as f:
        problems = [(m.id, str(e)) for m, errors in read_po(f).check() for e in errors]
    assert problems == []


def _strings(message: object) -> tuple[str, ...]:
    s = message.string  # type: ignore[attr-defined]
    return (s,) if isinstance(s, str) else tuple(s)


def test_the_chinese_catalogue_loads_as_a_real_catalogue_not_the_english_fallback() -> None:
    i18n.translations.cache_clear()
    loaded = i18n.translations("zh-CN")
    assert isinstance(loaded, Translations)
    assert loaded.gettext("Log in") == "登录"
    assert loaded.gettext("critical") == "危重型"
    assert loaded.ngettext("%(num)d deviation", "%(num)d deviations", 3) == "%(num)d 项偏离"


def test_the_catalogue_folder_is_one_gettext_finds_for_the_chinese_locale(tmp_path: Path) -> None:
    """A folder gettext does not look in (``zh_Hans_CN`` for ``zh_CN``, ``zh-CN``) would make
    every page English without an error; ``make i18n-compile`` writes the .mo it loads."""
    written = i18n.compile_catalogues(_copy_of_the_catalogues(tmp_path))
    assert [p.relative_to(tmp_path).as_posix() for p in written] == [
        "zh_CN/LC_MESSAGES/messages.mo"
    ]
    assert gettext.find(i18n.DOMAIN, str(tmp_path), [i18n.FOLDERS["zh-CN"]]) is not None
    loaded = Translations.load(str(tmp_path), [i18n.FOLDERS["zh-CN"]], i18n.DOMAIN)
    assert isinstance(loaded, Translations) and loaded.gettext("Home") == "首页"


def test_a_catalogue_under_a_folder_gettext_ignores_falls_back_to_english(tmp_path: Path) -> None:
    wrong = tmp_path / "zh-CN" / "LC_MESSAGES"
    wrong.mkdir(parents=True)
    (wrong / "messages.mo").write_bytes(i18n.compile_po(i18n.catalogue_path("zh-CN")))
    loaded = Translations.load(str(tmp_path), ["zh_CN"], i18n.DOMAIN)
    assert not isinstance(loaded, Translations)  # the silent fallback the test above guards


def test_english_is_the_text_as_written() -> None:
    assert i18n.translations("en").gettext("Log in") == "Log in"


def _copy_of_the_catalogues(tmp_path: Path) -> Path:
    for po in i18n.locale_dir().glob("*/LC_MESSAGES/*.po"):
        target = tmp_path / po.relative_to(i18n.locale_dir())
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(po.read_bytes())
    return tmp_path
