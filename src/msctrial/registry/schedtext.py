"""Reading how often and when a product is given out of registry free text: counts ('3 times',
'共3次'), lists of days ('Day 0, Day 3, Day 6', '第1、4、7天'), intervals ('once every 4 days',
'every other day', '每隔3天', 'within 3-5 days'), optional extra doses, and outcome time frames.
Each reader returns where it found its value, so the caller can quote the evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from msctrial.registry.textbase import _WORD, Span, clean, count_value

# --- how many administrations, on which days ------------------------------------------------

_DAY_LIST = re.compile(
    r"(?:\b(?i:days?)\s*|\bD)(?P<first>\d{1,3})\b(?![.,]\d)"
    r"(?P<rest>(?:(?:\s*(?:,|\band\b|&)\s*(?:and\s+)?(?:(?i:days?)\s*|D)?|\s*-\s*(?:(?i:days?)\s*|D))"
    r"\d{1,3}\b(?![.,]\d|\s*(?:%|ml|mg|hours?|weeks?|months?)))*)"
)
_CN_NUM = r"\d{1,3}|[一二三四五六七八九十]"
# "第1、4、7天" (cleaned: "第1,4,7天"), "第0,3,6日", "第1天、第4天和第7天"
_CN_DAYS = re.compile(
    r"第\s*(?P<list>\d{1,3}(?:\s*(?:[,和及与]|\s)\s*(?:第\s*)?\d{1,3}\s*[天日]?)*)\s*[天日]"
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
    rf"\bevery\s+(?P<n>\d+|{_WORD}|other)\s+(?P<u>days?|weeks?)\b|\b(?P<daily>daily|weekly)\b"
    rf"|每\s*隔?\s*(?P<cn>{_CN_NUM})\s*(?P<cu>[天日周])|(?P<other>隔天|隔日)|(?P<cnw>每周|每天|每日)",
    re.IGNORECASE,
)
# "a second dose within 3-5 days": the shortest gap the text allows
_WITHIN = re.compile(
    rf"\b(?:second|next|another|repeat(?:ed)?)\s+(?:dose|infusion|injection|administration)"
    rf"[^.;]{{0,40}}?\bwithin\s+(?P<n>\d+|{_WORD})\s*(?:-|to|~)\s*(?:\d+|{_WORD})\s+(?P<u>days?|weeks?)"
    rf"|\bwithin\s+(?P<n2>\d+)\s*(?:-|to|~)\s*\d+\s+(?P<u2>days?)\s+(?:of|after)\s+the\s+first",
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
    rf"\b(?:a\s+)?total\s+of\s+(?P<n>\d+|{_WORD})\s+(?:times?|doses?|infusions?)"
    rf"|[共总计]\s*(?:输注|注射|给药|治疗|雾化)?\s*(?P<cn>{_CN_NUM})\s*次",
    re.IGNORECASE,
)
# "输注3次" (infused 3 times); "各输注1次" (once on each day) is not a total
_CN_COUNT = re.compile(rf"(?<!各)(?:输注|注射|给药|回输|雾化吸入|吸入)\s*(?P<n>{_CN_NUM})\s*次")
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
    r"必要时|酌情|given\s+again|repeat(?:ed)?\s+(?:if|when|depending)|if\s+(?:needed|necessary|required)"
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
    m0 = _CN_DAYS.search(t)
    if m0:
        candidates.append((m0.start(), _ints(m0.group("list")), Span(m0.start(), m0.end())))
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
        if m.group("other"):
            return 2, Span(m.start(), m.end())
        if m.group("cnw"):
            return (7 if "周" in m.group("cnw") else 1), Span(m.start(), m.end())
        if m.group("cn"):
            n = count_value(m.group("cn")) or 1
            return (n * 7 if m.group("cu") == "周" else n), Span(m.start(), m.end())
        if m.group("daily"):
            return (1 if m.group("daily").lower() == "daily" else 7), Span(m.start(), m.end())
        days = _days_of(m.group("n"), m.group("u"))
        if days:
            return days, Span(m.start(), m.end())
    w = _WITHIN.search(t)
    if w:
        days = _days_of(w.group("n") or w.group("n2"), w.group("u") or w.group("u2"))
        if days:
            return days, Span(w.start(), w.end())
    m = _INTERVAL.search(t)
    if m:
        amount = m.group("n") or m.group("n2") or m.group("n3")
        unit = m.group("u") or m.group("u2") or m.group("u3")
        days = _days_of(amount, unit)
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
    if m and count_value(m.group("n") or m.group("cn")):
        return Count(count_value(m.group("n") or m.group("cn")) or 1, Span(m.start(), m.end()))
    for m in _CN_COUNT.finditer(t):
        if "每" in t[max(0, m.start() - 6) : m.start()]:
            continue  # "每隔3天输注一次": once each time, not in all
        if count_value(m.group("n")):
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
