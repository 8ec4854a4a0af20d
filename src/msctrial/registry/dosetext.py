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

from msctrial.registry.textbase import (
    _SUPERSCRIPT,
    _WORD,
    Span,
    clean,
    count_value,
    sentences,
)

# --- quantities of cells or particles -------------------------------------------------------

_NUM = r"\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?"
# "1.10^6" and "0.5. 10^6": a full stop written for the multiplication dot
_MUL = r"\s*(?:[x*X]|\.(?=\s*10\s*[\^eE⁰¹²³⁴⁵⁶⁷⁸⁹]))\s*"
_SUP = "[⁰¹²³⁴⁵⁶⁷⁸⁹]+"
_QUANTITY = re.compile(
    rf"""
    (?<![A-Za-z0-9_.])
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
_CELL_NOUN = re.compile(
    r"cells?\b|\bMSCs?\b|MSC\b|\bMSV\b|stem cells|stromal|个?细胞|个(?=\s*(?:/|每|$))",
    re.IGNORECASE,
)
_PARTICLE_NOUN = re.compile(
    r"particles?|vesicles?|exosomes?|\bEVs?\b|nanoparticles?|颗粒|粒子|外泌体", re.IGNORECASE
)
_PER_KG = re.compile(
    r"/\s*k(?:g|ilogram)|per\s+k(?:g|ilogram)|\bkg\s+(?:of\s+)?body\s*weight|/\s*body\s*weight"
    r"|每\s*(?:公斤|千克)|/\s*(?:公斤|千克)",
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
# "2 vials of ~15 million cells": the dose is the vials together
_VIALS_OF = re.compile(
    rf"\b(?P<n>\d+|{_WORD})\s+(?:vials?|bags?|units?|syringes?)\s+(?:each\s+)?(?:of|containing|with)\s*[~≈]?\s*(?:approximately\s+|about\s+)?$",
    re.IGNORECASE,
)
_PER_KG_BEFORE = re.compile(r"每\s*(?:公斤|千克)\s*(?:体重)?\s*$")
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
        if unit == "cells" and _PER_KG_BEFORE.search(before):
            unit = "cells/kg"  # "每公斤体重1×10^6个细胞": per kg, said before the number
        vials = _VIALS_OF.search(before)
        if vials:
            n_vials = count_value(vials.group("n")) or 1
            low, high = low * n_vials, (high * n_vials if high is not None else None)
        bags = _BAGS.search(t, m.end(), min(len(t), m.end() + 90))
        if bags and not vials and re.search(r"/\s*bag|per\s+bag|each\s+bag", after, re.IGNORECASE):
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
        cells = re.search(r"cells?|MSC|细胞", before + head, re.IGNORECASE)
        return "cells/kg" if per_kg and cells else None
    if _PER_KG_BEFORE.search(before) and re.search(r"细胞|cells?|MSC", before + head, re.I):
        return "cells/kg"
    if _CELL_NOUN.search(near) or (
        per_kg and re.search(r"cells?|MSC|细胞", before + head, re.IGNORECASE)
    ):
        return "cells/kg" if per_kg else "cells"
    if _PARTICLE_NOUN.search(near):
        return "particles"
    return None


# the schedule readers live in schedtext; importers of dosetext keep finding them here
from msctrial.registry.schedtext import (  # noqa: E402
    Count,
    administration_count,
    day_list,
    interval_days,
    states_optional_dose,
    time_points,
)

__all__ = [
    "Count", "Quantity", "Span", "administration_count", "clean", "count_value", "day_list",
    "interval_days", "quantities", "sentences", "states_optional_dose", "time_points",
]  # fmt: skip
