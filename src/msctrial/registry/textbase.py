"""Registry free text made readable: Chinese and full-width punctuation to ASCII (position
for position, so evidence is quoted verbatim), number words, and sentence spans."""

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
_CN_DIGITS = dict(zip("一二三四五六七八九", range(1, 10), strict=True))


def clean(text: str) -> str:
    """Chinese and full-width punctuation and digits to ASCII, same length as the input."""
    return text.translate(_TABLE)


def count_value(token: str) -> int | None:
    token = token.strip().lower()
    if token.isdigit():
        return int(token)
    if token == "十":
        return 10
    if len(token) == 1 and token in _CN_DIGITS:
        return _CN_DIGITS[token]
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
    # a Chinese full stop (。, cleaned to ".") ends a sentence without a space after it
    for m in re.finditer(r"\n+|;\s*|(?<=[.!?])\s+(?=[A-Z0-9(])|(?<=\.)(?=[\u4e00-\u9fff])", t):
        if t[start : m.start()].strip():
            spans.append(Span(start, m.start()))
        start = m.end()
    if t[start:].strip():
        spans.append(Span(start, len(t)))
    return spans
