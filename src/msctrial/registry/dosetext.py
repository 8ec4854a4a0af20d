"""Reading doses, counts and days out of registry free text, as a clinician reads them.

Registry text is typed by hand and loses its formatting: a superscript exponent is flattened
("1.0x106 cells/kg" is 1.0×10^6, "3.3 * 107" is 3.3×10^7, "106/Kg" is 10^6/kg), "10E7" means
10^7 (as in "4.0*10E7 cells"), doses are written in words ("200 million cells"), per bag
("3.3 * 107 cells/bag, 3 bags each time"), with Chinese punctuation (，、（）：), as ranges
("0.5-2x10^10 particles") or with a cap ("up to a maximum of 200 million"). Each reader returns
where in the text it found its value, so the caller can quote the evidence. Nothing here
guesses: text that does not state a value yields nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# One character for one character, so positions in the cleaned text are positions in the
# original and evidence can be quoted verbatim.
_FULLWIDTH = {chr(0xFF10 + i): str(i) for i in range(10)}
_PUNCT = {
    "，": ",",
    "、": ",",
    "（": "(",
    "）": ")",
    "：": ":",
    "；": ";",
    "。": ".",
    "＊": "*",
    "×": "x",
    "✕": "x",
    "·": "*",
    "－": "-",
    "–": "-",
    "—": "-",
    "～": "~",
    "＋": "+",
    "／": "/",
    "\u00a0": " ",
    "\u3000": " ",
    "\u2009": " ",
    "\u202f": " ",
}
_SUPERSCRIPT = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789", strict=True))
_TABLE = str.maketrans({**_FULLWIDTH, **_PUNCT})

WORD_NUMBERS = {
    "one": 1,
    "single": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
_WORD = "|".join(WORD_NUMBERS)


def clean(text: str) -> str:
    """Chinese and full-width punctuation and digits to ASCII, same length as the input."""
    return text.translate(_TABLE)


def count_value(token: str) -> int | None:
    token = token.strip().lower()
    if token.isdigit():
        return int(token)
    return WORD_NUMBERS.get(token)


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def sentences(text: str) -> list[Span]:
    """Sentence and clause spans: split at line breaks, semicolons and full stops."""
    t = clean(text)
    spans: list[Span] = []
    start = 0
    for m in re.finditer(r"\n+|;\s*|(?<=[.!?])\s+(?=[A-Z0-9(])", t):
        if t[start : m.start()].strip():
            spans.append(Span(start, m.start()))
        start = m.end()
    if t[start:].strip():
        spans.append(Span(start, len(t)))
    return spans


# --- quantities of cells or particles -------------------------------------------------------

_NUM = r"\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?"
# "1.10^6" and "0.5. 10^6": a full stop written for the multiplication dot
_MUL = r"\s*(?:[x*X]|\.(?=\s*10\s*[\^eE⁰¹²³⁴⁵⁶⁷⁸⁹]))\s*"
_SUP = "[⁰¹²³⁴⁵⁶⁷⁸⁹]+"
_QUANTITY = re.compile(
    rf"""
    (?<![\w.])
    (?:
        (?P<m>{_NUM})(?:\s*[-~]\s*(?P<m2>{_NUM}))?{_MUL}10\s*(?:\^|\*\*|[eE])\s*(?P<e>\+?\d{{1,2}})
      | (?P<ms>{_NUM})(?:\s*[-~]\s*(?P<ms2>{_NUM}))?{_MUL}10(?P<es>{_SUP})
      | (?P<mf>{_NUM})(?:\s*[-~]\s*(?P<mf2>{_NUM}))?{_MUL}10(?P<ef>\d{{1,2}})(?![\d.])
      | (?P<me>\d+(?:\.\d+)?)[eE](?P<ee>\+?\d{{1,2}})(?![\d.])
      | 10\s*\^\s*(?P<eb>\d{{1,2}}) | 10(?P<ebs>{_SUP})
      | (?P<mw>{_NUM})(?:\s*[-~]\s*(?P<mw2>{_NUM}))?\s*(?P<w>million|billion|trillion)\b
      | (?P<bare>10(?:[5-9]|1[0-2]))(?=\s*(?:/\s*kg|cells?\b|MSCs?\b))
      | (?P<big>\d{{5,}}|\d{{1,3}}(?:,\d{{3}}){{2,}})
    )
    """,
    re.VERBOSE | re.IGNORECASE,
)
_WORD_POWER = {"million": 6, "billion": 9, "trillion": 12}
_CELL_NOUN = re.compile(r"cells?\b|\bMSCs?\b|MSC\b|\bMSV\b|stem cells|stromal", re.IGNORECASE)
_PARTICLE_NOUN = re.compile(
    r"particles?|vesicles?|exosomes?|\bEVs?\b|nanoparticles?", re.IGNORECASE
)
_PER_KG = re.compile(
    r"/\s*k(?:g|ilogram)|per\s+k(?:g|ilogram)|\bkg\s+(?:of\s+)?body\s*weight|/\s*body\s*weight",
    re.IGNORECASE,
)
# a concentration or a rate is not a dose: "particles/mL", "5 million cells per minute"
_CONCENTRATION = re.compile(
    r"^[^,;]{0,30}?(?:/\s*m[lL]\b|/\s*min|per\s+min|per\s+hour|/\s*h(?:our)?\b)", re.IGNORECASE
)
_CAPPED = re.compile(
    r"(?:maximum|max\.?|supplied\s+as|up\s+to(?:\s+a)?)(?:\s*(?:dose|of|total))*\s*$",
    re.IGNORECASE,
)
_BAGS = re.compile(
    rf"\b(?P<n>\d+|{_WORD})\s+(?:bags?|vials?|units?)\s+(?:each|per|every)\s+"
    r"(?:time|infusion|dose|administration|injection)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Quantity:
    """A dose read from text: ``value`` (and ``max`` for a range) in ``unit``."""

    value: float
    unit: str  # cells/kg, cells, particles
    start: int
    end: int
    max: float | None = None


def _num(text: str | None) -> float | None:
    return float(text.replace(",", "")) if text else None


def _exponent(text: str) -> int:
    return int("".join(_SUPERSCRIPT.get(c, c) for c in text).lstrip("+") or "0")


def _value(m: re.Match[str]) -> tuple[float, float | None] | None:
    g = m.groupdict()
    if g["m"] is not None:
        power = 10.0 ** _exponent(g["e"])
        low, high = _num(g["m"]), _num(g["m2"])
    elif g["ms"] is not None:
        power = 10.0 ** _exponent(g["es"])
        low, high = _num(g["ms"]), _num(g["ms2"])
    elif g["mf"] is not None:
        e = int(g["ef"])
        if e < 3:  # "2 x 100 mL" is not 2×10^0
            return None
        power = 10.0**e
        low, high = _num(g["mf"]), _num(g["mf2"])
    elif g["me"] is not None:
        # "10E7" is 10^7 by the registry's own convention; "2.5e7" is 2.5×10^7
        e = _exponent(g["ee"])
        if g["me"] == "10":
            return 10.0**e, None
        return float(g["me"]) * 10.0**e, None
    elif g["eb"] is not None or g["ebs"] is not None:
        return 10.0 ** _exponent(g["eb"] or g["ebs"]), None
    elif g["mw"] is not None:
        power = 10.0 ** _WORD_POWER[g["w"].lower()]
        low, high = _num(g["mw"]), _num(g["mw2"])
    elif g["bare"] is not None:
        return 10.0 ** int(g["bare"][2:]), None
    else:
        return _num(g["big"]) or 0.0, None
    assert low is not None
    return low * power, (high * power if high is not None else None)


def quantities(text: str) -> list[Quantity]:
    """Every dose of cells or particles stated in ``text``, in order of appearance."""
    t = clean(text)
    found: list[Quantity] = []
    for m in _QUANTITY.finditer(t):
        read = _value(m)
        if read is None or read[0] <= 0:
            continue
        low, high = read
        after = re.split(
            r"[;.](?:\s|$)|,\s(?!\d)|\band\b|\bat\b|\bon\b", t[m.end() : m.end() + 70]
        )[0]
        # the words before count only within the same sentence, so the evidence holds them
        before = re.split(r"[\n;]|[.!?]\s", t[max(0, m.start() - 40) : m.start()])[-1]
        if _CAPPED.search(before[-25:]) or _CONCENTRATION.match(after):
            continue
        unit = _unit(after, before, bare=m.group("bare") is not None or m.group("big") is not None)
        if unit is None:
            continue
        end = m.end()
        bags = _BAGS.search(t, m.end(), min(len(t), m.end() + 90))
        if bags and re.search(r"/\s*bag|per\s+bag|each\s+bag", after, re.IGNORECASE):
            n = count_value(bags.group("n")) or 1
            low, high = low * n, (high * n if high is not None else None)
            end = bags.end()
        if high is not None and high <= low:
            high = None
        found.append(Quantity(low, unit, m.start(), end, high))
    return found


def _unit(after: str, before: str, *, bare: bool) -> str | None:
    # the unit belongs to this number: look no further than the next quantity
    following = _QUANTITY.search(after)
    head = after[: following.start() if following else 90][:90]
    if _PARTICLE_NOUN.search(head) and not _CELL_NOUN.search(head[:12]):
        return "particles" if not _PER_KG.search(head) else None
    per_kg = bool(_PER_KG.search(head))
    if _CELL_NOUN.search(head):
        return "cells/kg" if per_kg else "cells"
    near = before[-30:]
    if bare:
        # "106/Kg" alone is 10^6 per kg only where the sentence is about cells
        cells = re.search(r"cells?|MSC", before, re.IGNORECASE)
        return "cells/kg" if per_kg and cells else None
    if _CELL_NOUN.search(near) or (per_kg and re.search(r"cells?|MSC", before, re.IGNORECASE)):
        return "cells/kg" if per_kg else "cells"
    if _PARTICLE_NOUN.search(near):
        return "particles"
    return None


# --- how many administrations, on which days ------------------------------------------------

_DAY_LIST = re.compile(
    r"(?:\b(?i:days?)\s*|\bD)(?P<first>\d{1,3})\b(?![.,]\d)"
    r"(?P<rest>(?:(?:\s*(?:,|\band\b|&)\s*(?:and\s+)?(?:(?i:days?)\s*|D)?|\s*-\s*(?:(?i:days?)\s*|D))"
    r"\d{1,3}\b(?![.,]\d|\s*(?:%|ml|mg|hours?|weeks?|months?)))*)"
)
_ORDINAL_DAYS = re.compile(
    r"\b(?P<list>\d{1,3}(?:st|nd|rd|th)(?:\s*,?\s*(?:and\s+|&\s*)?\d{1,3}(?:st|nd|rd|th))*)"
    r"\s+days?\b",
    re.IGNORECASE,
)
_SINGLE_DAY = re.compile(r"\b(?P<d>\d{1,3})(?:st|nd|rd|th)?\s+day\b(?!s)", re.IGNORECASE)
_WEEK_LIST = re.compile(
    r"\bweeks?\s*(?P<list>\d{1,2}(?:\s*,?\s*(?:and\s+|&\s*)?\d{1,2}\b)*)", re.IGNORECASE
)
_EVERY = re.compile(
    rf"\bevery\s+(?P<n>\d+|{_WORD}|other)\s+(?P<u>days?|weeks?)\b|\b(?P<daily>daily|weekly)\b",
    re.IGNORECASE,
)
_INTERVAL = re.compile(
    rf"\binterval\s+of\s+(?P<n>\d+|{_WORD})\s+(?P<u>days?|weeks?)"
    rf"|\b(?P<n2>\d+|{_WORD})\s+(?P<u2>days?|weeks?)\s+apart\b"
    rf"|\bsecond\s+(?:infusion|dose|injection|administration)\s+(?:\w+\s+){{0,3}}?(?:at|after|on)?\s*"
    rf"(?P<n3>\d+|{_WORD})\s+(?P<u3>days?|weeks?)\s+(?:after|following|later)",
    re.IGNORECASE,
)
_TOTAL = re.compile(
    rf"\b(?:a\s+)?total\s+of\s+(?P<n>\d+|{_WORD})\s+(?:times?|doses?|infusions?)", re.IGNORECASE
)
_COUNT = re.compile(
    rf"\b(?P<upto>up\s+to\s+)?(?P<n>\d+|{_WORD})\s+(?:(?:separate|consecutive|daily|IV|intravenous|i\.v\.|aerosol|repeated|serial)\s+){{0,2}}"
    r"(?:times?(?!\s+(?:each|per|a)\s+day)|does|doses|infusions?|injections?|administrations?"
    r"|transfusions?|treatments?|applications?|inhalations?|rounds?)\b",
    re.IGNORECASE,
)
_TWICE = re.compile(
    r"\b(?P<w>twice|thrice|once)\b(?!\s+(?:every|daily|weekly|a\s+day|per))", re.IGNORECASE
)
_PER_DAY_FOR = re.compile(
    rf"\b(?P<k>twice|once|\d+\s+times)\s+(?:a|per)\s+day\s+(?:during|for)\s+(?P<n>\d+|{_WORD})\s+days\b",
    re.IGNORECASE,
)
_OPTIONAL = re.compile(
    r"given\s+again|repeat(?:ed)?\s+(?:if|when|depending)|if\s+(?:needed|necessary|required)"
    r"|optional|at\s+the\s+discretion|depending\s+on\s+the\s+condition",
    re.IGNORECASE,
)


def _ints(text: str) -> list[int]:
    return [int(x) for x in re.findall(r"\d+", text)]


def day_list(text: str) -> tuple[list[int], Span] | None:
    """The first list of dosing days in ``text``: 'Day 0, Day 3, Day 6', 'D1 and D3',
    'on the 1st, 3rd, 5th, and 7th days', 'weeks 0, 2, 6' (in days)."""
    t = clean(text)
    candidates: list[tuple[int, list[int], Span]] = []
    m = _DAY_LIST.search(t)
    if m:
        candidates.append((m.start(), _ints(m.group(0)), Span(m.start(), m.end())))
    m2 = _ORDINAL_DAYS.search(t)
    if m2:
        candidates.append((m2.start(), _ints(m2.group("list")), Span(m2.start(), m2.end())))
    m3 = _WEEK_LIST.search(t)
    if m3:
        weeks = _ints(m3.group("list"))
        candidates.append((m3.start(), [w * 7 for w in weeks], Span(m3.start(), m3.end())))
    if not candidates:
        for m4 in _SINGLE_DAY.finditer(t):
            if "±" in t[max(0, m4.start() - 3) : m4.start()]:
                continue  # "(± 1 day)" is a window, not a dosing day
            candidates.append((m4.start(), [int(m4.group("d"))], Span(m4.start(), m4.end())))
            break
    if not candidates:
        return None
    _, days, span = min(candidates, key=lambda c: c[0])
    days = sorted(set(days))
    return days, span


def _days_of(n: str, unit: str) -> int | None:
    if n.lower() == "other":
        return 2
    value = count_value(n)
    if value is None:
        return None
    return value * 7 if unit.lower().startswith("week") else value


def interval_days(text: str) -> tuple[int, Span] | None:
    """A stated gap between administrations: 'once every 4 days', 'interval of 1 week'."""
    t = clean(text)
    m = _EVERY.search(t)
    if m:
        if m.group("daily"):
            return (1 if m.group("daily").lower() == "daily" else 7), Span(m.start(), m.end())
        days = _days_of(m.group("n"), m.group("u"))
        if days:
            return days, Span(m.start(), m.end())
    m = _INTERVAL.search(t)
    if m:
        n = m.group("n") or m.group("n2") or m.group("n3")
        u = m.group("u") or m.group("u2") or m.group("u3")
        days = _days_of(n, u)
        if days:
            return days, Span(m.start(), m.end())
    return None


@dataclass(frozen=True)
class Count:
    n: int
    span: Span
    up_to: bool = False


def administration_count(text: str) -> Count | None:
    """How many administrations the text states: '3 times', 'two doses', 'Five IV
    infusions', 'a total of 4 times', 'twice', 'up to 2 infusions'."""
    t = clean(text)
    m = _PER_DAY_FOR.search(t)
    if m:
        k = m.group("k").lower()
        per_day = 2 if k == "twice" else 1 if k == "once" else _ints(k)[0]
        days = count_value(m.group("n"))
        if days:
            return Count(per_day * days, Span(m.start(), m.end()))
    m = _TOTAL.search(t)
    if m and count_value(m.group("n")):
        return Count(count_value(m.group("n")) or 1, Span(m.start(), m.end()))
    m = _COUNT.search(t)
    if m and count_value(m.group("n")):
        return Count(
            count_value(m.group("n")) or 1, Span(m.start(), m.end()), bool(m.group("upto"))
        )
    m = _TWICE.search(t)
    if m:
        n = {"once": 1, "twice": 2, "thrice": 3}[m.group("w").lower()]
        return Count(n, Span(m.start(), m.end()))
    return None


def states_optional_dose(text: str) -> bool:
    """An extra dose given only if needed ('depending on the condition ... given again')."""
    return bool(_OPTIONAL.search(clean(text)))


# --- time frames of outcomes ----------------------------------------------------------------

_TIME = re.compile(
    r"\b(?:day|d)\s*(?P<d>\d{1,4})\b|\b(?P<d2>\d{1,4})[\s-]*days?\b"
    r"|\bweeks?\s*(?P<w>\d{1,3})\b|\b(?P<w2>\d{1,3})[\s-]*weeks?\b"
    r"|\bmonths?\s*(?P<mo>\d{1,2})\b|\b(?P<mo2>\d{1,2})[\s-]*months?\b"
    r"|\b(?P<y>\d{1,2})[\s-]*years?\b",
    re.IGNORECASE,
)


def time_points(text: str) -> list[int]:
    """Study days named in an outcome's time frame ('Day 28', '12 weeks', '3 months')."""
    out: set[int] = set()
    for m in _TIME.finditer(clean(text)):
        g = m.groupdict()
        if g["d"] or g["d2"]:
            out.add(int(g["d"] or g["d2"]))
        elif g["w"] or g["w2"]:
            out.add(int(g["w"] or g["w2"]) * 7)
        elif g["mo"] or g["mo2"]:
            out.add(int(g["mo"] or g["mo2"]) * 30)
        elif g["y"]:
            out.add(int(g["y"]) * 365)
    return sorted(d for d in out if d <= 3650)
