"""The interface's languages: which one a request gets, and its message catalogue.

The catalogues are Babel ``.po`` files under ``web/locale/<folder>/LC_MESSAGES/messages.po``;
the repository holds no compiled ``.mo``. The first request in a language compiles its
catalogue beside the ``.po`` (``make i18n-compile`` does the same at install), or in memory
when the package is installed read-only. The folder must be one ``gettext.find`` recognises
for the locale (``zh_CN``): under any other name the pages fall back to English silently,
which is why ``tests/web/test_i18n_catalogue.py`` checks the loaded catalogue itself.
"""

from __future__ import annotations

import contextvars
import functools
import gettext
import io
from importlib import resources
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from msctrial.core.preferences import INTERFACE_LANGUAGES

DOMAIN = "messages"
DEFAULT = "en"
# Public code (BCP 47: <html lang>, Accept-Language, the user's stored choice) → the name a
# reader of that language recognises on the switch.
LANGUAGES = dict(zip(INTERFACE_LANGUAGES, ("English", "简体中文"), strict=True))
# The catalogue folder of each translated language: gettext's spelling of the locale.
FOLDERS = {"zh-CN": "zh_CN"}
# Babel's locale for dates and numbers.
BABEL_LOCALES = {"en": "en", "zh-CN": "zh_Hans_CN"}


def locale_dir() -> Path:
    return Path(str(resources.files("msctrial.web") / "locale"))


def catalogue_path(code: str, directory: Path | None = None) -> Path:
    return (directory or locale_dir()) / FOLDERS[code] / "LC_MESSAGES" / f"{DOMAIN}.po"


def compile_po(po: Path) -> bytes:
    """The ``.mo`` bytes of a ``.po`` catalogue (fuzzy entries left out, as gettext does)."""
    with po.open("rb") as f:
        catalog = read_po(f)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def compile_catalogues(directory: Path | None = None) -> list[Path]:
    """Write each stale ``.mo`` beside its ``.po``; the ones written. Read-only: none."""
    written = []
    for po in sorted((directory or locale_dir()).glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        try:
            mo.write_bytes(compile_po(po))
        except OSError:
            continue  # an installed, read-only package: ``translations`` compiles in memory
        written.append(mo)
    return written


@functools.cache
def translations(code: str) -> gettext.NullTranslations:
    """The catalogue of language ``code``; English is the text as written."""
    if code not in FOLDERS:
        return gettext.NullTranslations()
    compile_catalogues()
    loaded = Translations.load(str(locale_dir()), [FOLDERS[code]], DOMAIN)
    if isinstance(loaded, Translations):
        return loaded
    return Translations(io.BytesIO(compile_po(catalogue_path(code))), domain=DOMAIN)


# The catalogue of the page being rendered: set by ``web.layout.render`` around the template.
CURRENT: contextvars.ContextVar[gettext.NullTranslations | None] = contextvars.ContextVar(
    "msctrial_translations", default=None
)
_ENGLISH = gettext.NullTranslations()


def gettext_(message: str) -> str:
    return (CURRENT.get() or _ENGLISH).gettext(message)


def ngettext_(singular: str, plural: str, n: int) -> str:
    return (CURRENT.get() or _ENGLISH).ngettext(singular, plural, n)


def translate(message: str, code: str) -> str:
    """``message`` in language ``code``, or as written when the catalogue lacks it."""
    return translations(code).gettext(message)


# --- which language a request gets --------------------------------------------------------


def match_language(tag: str) -> str | None:
    """The offered language for one language tag: ``zh-CN``, ``zh-Hans``, ``zh`` → ``zh-CN``.

    Traditional Chinese (``zh-TW``, ``zh-HK``, ``zh-Hant``) is not offered a Simplified
    interface in its place; the next preference decides.
    """
    parts = tag.strip().replace("_", "-").lower().split("-")
    if not parts or not parts[0]:
        return None
    if parts[0] == "zh":
        rest = set(parts[1:])
        return None if rest & {"tw", "hk", "mo", "hant"} else "zh-CN"
    if parts[0] == "en":
        return "en"
    return None


def accept_language(header: str | None) -> list[str]:
    """The tags of an ``Accept-Language`` header, most preferred first (RFC 9110 §12.5.4)."""
    ranked: list[tuple[float, int, str]] = []
    for i, item in enumerate((header or "").split(",")):
        tag, _, params = item.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if tag and q > 0:
            ranked.append((-q, i, tag.strip()))
    return [tag for _, _, tag in sorted(ranked)]


def choose_language(
    *, user_choice: str | None, session_choice: str | None, header: str | None
) -> str:
    """The user's stored choice, else the one made on this browser, else the browser's."""
    for choice in (user_choice, session_choice):
        if choice in LANGUAGES:
            return choice
    for tag in accept_language(header):
        found = match_language(tag)
        if found:
            return found
    return DEFAULT


def term(value: object, spaced: bool = False) -> str:
    """A stored word (a status, a level, a severity: ``screen_failure``) in the reader's
    language, its catalogue entry spelt with spaces (``web.vocabulary``). Untranslated, it reads
    as stored, or with spaces for underscores when ``spaced``, as the English pages show it."""
    if value is None or value == "":
        return ""
    raw = str(getattr(value, "value", value))
    words = raw.replace("_", " ")
    translated = gettext_(words)
    if translated != words:
        return translated
    return words if spaced else raw


def message(value: object) -> str:
    """A message written in English elsewhere (a refusal), in the reader's language if the
    catalogue has it."""
    return gettext_(str(value)) if value else ""
