"""The WHO ICTRP's cell values, as its exports really write them, read into plain values.

Quirks met in the exports people download (the search portal's XML and CSV, the weekly
COVID-19 spreadsheet):
- markup inside fields: ``<br>`` for line breaks, ``_x000D_`` (Excel's escaped carriage
  return), HTML entities; text from some registers decoded as Mac Roman
  (``MSV¬Æ`` for ``MSV®``);
- dates as ``DD/MM/YYYY`` for some registers, ISO or ``Month D, YYYY`` for others, and real
  dates in a spreadsheet; ``Date registration3`` is ``YYYYMMDD`` throughout;
- phases as text (``Phase 2/ Phase 3``, ``Phase II``), ChiCTR's numbers (``0`` … ``4``), EU CTR's
  yes/no list, ``Retrospective study``, and a phase ``1-2`` that a spreadsheet turned into the
  date 1 February (day = first phase, month = second);
- ChiCTR's target size per group (``Experimental group:30;Control group:30;``).
"""

from __future__ import annotations

import datetime as dt
import html
import re

from msctrial.protocol.terms import Phase

Cell = str | int | float | dt.datetime | dt.date | bool | None

_TAG = re.compile(r"<\s*br\s*/?\s*>|<\s*/?\s*p\s*>", re.IGNORECASE)
_OTHER_TAG = re.compile(r"</?[a-zA-Z][^<>]{0,200}>")
# A run of characters that UTF-8 bytes become when read as Mac Roman: a lead byte (√ ¬ Ã …)
# followed by continuation bytes (√ó is ×, ¬Æ is ®, √± is ñ).
_MOJIBAKE = re.compile(r"[¬√ÃƒÂ‚][\u0080-\u02ff\u2000-\u22ff\uf8ff]+")


def repair_mojibake(text: str) -> str:
    """Runs of UTF-8 that were decoded as Mac Roman, decoded again; other text unchanged."""

    def fix(m: re.Match[str]) -> str:
        try:
            return m.group(0).encode("mac_roman").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return m.group(0)

    return _MOJIBAKE.sub(fix, text)


def clean_text(value: Cell) -> str | None:
    """A cell as plain text: markup to line breaks, entities decoded, whitespace tidied."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()[:10]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).replace("_x000D_", "").replace("\r", "")
    text = _TAG.sub("\n", text)
    text = _OTHER_TAG.sub(" ", text)
    text = repair_mojibake(html.unescape(text))
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.split("\n")]
    text = "\n".join(line for line in lines if line)
    return text or None


# --- dates -----------------------------------------------------------------------------------

_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
        start=1,
    )
}


def parse_date(value: Cell) -> str | None:
    """An ISO date (yyyy-mm-dd, or yyyy-mm) from any of ICTRP's ways of writing one."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()[:10]
    text = str(value).strip()
    if isinstance(value, int | float) or re.fullmatch(r"\d{8}", text):
        return _ymd(text.split(".")[0])
    for pattern, order in (
        (r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?", "ymd"),
        (r"(\d{4})/(\d{1,2})/(\d{1,2})", "ymd"),
        (r"(\d{1,2})/(\d{1,2})/(\d{4})", "dmy"),  # ICTRP's own form: day first
        (r"(\d{1,2})\.(\d{1,2})\.(\d{4})", "dmy"),
    ):
        m = re.fullmatch(pattern, text)
        if m:
            a, b, c = (int(g) for g in m.groups())
            y, mo, d = (a, b, c) if order == "ymd" else (c, b, a)
            return _iso(y, mo, d)
    m = re.fullmatch(r"([A-Za-z]{3,9})\.?\s+(?:(\d{1,2}),?\s+)?(\d{4})", text)
    if m and m.group(1)[:3].lower() in _MONTHS:
        month = _MONTHS[m.group(1)[:3].lower()]
        if m.group(2):
            return _iso(int(m.group(3)), month, int(m.group(2)))
        return f"{int(m.group(3)):04d}-{month:02d}"
    m = re.fullmatch(r"(\d{1,2})\s+([A-Za-z]{3,9})\.?\s+(\d{4})", text)
    if m and m.group(2)[:3].lower() in _MONTHS:
        return _iso(int(m.group(3)), _MONTHS[m.group(2)[:3].lower()], int(m.group(1)))
    return None


def _ymd(text: str) -> str | None:
    if not re.fullmatch(r"\d{8}", text):
        return None
    return _iso(int(text[:4]), int(text[4:6]), int(text[6:]))


def _iso(y: int, m: int, d: int) -> str | None:
    try:
        return dt.date(y, m, d).isoformat()
    except ValueError:
        return None


# --- phases ----------------------------------------------------------------------------------

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_BY_NUMBER = {
    0: Phase.EARLY_PHASE1,
    1: Phase.PHASE1,
    2: Phase.PHASE2,
    3: Phase.PHASE3,
    4: Phase.PHASE4,
}
_NOT_A_PHASE = re.compile(
    r"retrospective|new\s+treatment\s+measure|not\s+selected|not\s+specified|other|unknown",
    re.IGNORECASE,
)


def parse_phase(value: Cell) -> list[Phase]:
    """API v2 phases from an ICTRP phase cell; text that names no phase gives none.

    ChiCTR's ``0`` is phase 0, which ClinicalTrials.gov lists as Early Phase 1 ("formerly
    listed as Phase 0")."""
    if value is None or isinstance(value, bool):
        return []
    if isinstance(value, dt.datetime | dt.date):
        # a spreadsheet read "1-2" as 1 February: day and month are the two phases
        return _numbers([value.day, value.month])
    if isinstance(value, int | float):
        return _numbers([int(value)])
    text = str(value).strip()
    low = text.lower()
    if "pharmacology (phase i)" in low or "(phase ii)" in low:
        named = re.findall(r"\(phase\s+(i{1,3}|iv)\):\s*(yes|no)", low)
        return _numbers([_ROMAN[r] for r, yes in named if yes == "yes"])
    if re.fullmatch(r"n/?a|not\s+applicable", low):
        return [Phase.NA]
    if "early phase 1" in low or "early phase i" in low:
        return [Phase.EARLY_PHASE1]
    if _NOT_A_PHASE.search(low) and not re.search(r"phase\s*\d", low):
        return []
    if re.fullmatch(r"\d(?:\s*[-/+,]\s*\d)?", low):
        return _numbers([int(x) for x in re.findall(r"\d", low)])
    found = re.findall(r"(?:phase|期)\s*(\d|iv|i{1,3})\b", low)
    if found:
        return _numbers([int(x) if x.isdigit() else _ROMAN[x] for x in found])
    m = re.fullmatch(r"(iv|i{1,3})(?:\s*[-/+]\s*(iv|i{1,3}))?", low)
    if m:
        return _numbers([_ROMAN[g] for g in m.groups() if g])
    return []


def _numbers(numbers: list[int]) -> list[Phase]:
    return list(dict.fromkeys(_BY_NUMBER[n] for n in sorted(numbers) if n in _BY_NUMBER))


# --- target size -----------------------------------------------------------------------------


def parse_target_size(value: Cell) -> tuple[int | None, dict[str, int]]:
    """The total target size and, for ChiCTR, the size of each group it names."""
    if value is None or isinstance(value, bool):
        return None, {}
    if isinstance(value, int | float):
        return (int(value) if value >= 0 else None), {}
    text = clean_text(value) or ""
    if re.fullmatch(r"\d{1,9}", text):
        return int(text), {}
    groups: dict[str, int] = {}
    for part in re.split(r"[;\n]", text):
        m = re.fullmatch(r"\s*([^:：]{1,120})[:：]\s*(\d{1,9})\s*", part)
        if m:
            label = re.sub(r"\s+", " ", m.group(1)).strip()
            groups[label] = groups.get(label, 0) + int(m.group(2))
    if groups:
        return sum(groups.values()), groups
    m = re.search(r"\b(\d{1,9})\b", text)
    return (int(m.group(1)) if m else None), {}


# --- status, study type ----------------------------------------------------------------------

CANCELLED = re.compile(r"^\s*cancel+ed\s+by\s+the\s+investigator\s*", re.IGNORECASE)


def parse_status(value: Cell) -> str | None:
    """'Recruiting' → RECRUITING, 'Not recruiting' → NOT_RECRUITING, 'Authorised' → AUTHORISED."""
    text = clean_text(value)
    if not text or text.lower() in ("not available", "unknown", "n/a"):
        return None
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").upper() or None


def parse_study_type(value: Cell) -> str | None:
    text = (clean_text(value) or "").lower()
    if not text:
        return None
    if "expanded access" in text:
        return "EXPANDED_ACCESS"
    if "observ" in text or "epidemilog" in text or "epidemiolog" in text:
        return "OBSERVATIONAL"
    if re.search(r"interven|medicinal product|treatment study|prevention", text):
        return "INTERVENTIONAL"
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_").upper() or None
