"""The password policy. Pure.

NIST SP 800-63B §5.1.1.2 asks verifiers for a minimum length and a check against passwords
known to be common or compromised, and advises against composition rules; so: at least 12
characters, not the username (however spelt: case and punctuation aside, or reversed), and not one of the 30,000 most common
passwords of the list zxcvbn ships (its ``passwords`` frequency list, drawn from leaked sets).
"""

from __future__ import annotations

from functools import cache

from zxcvbn.frequency_lists import FREQUENCY_LISTS

from msctrial.core.errors import InvalidInput

MIN_LENGTH = 12
MAX_LENGTH = 200


@cache
def _common() -> frozenset[str]:
    return frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])


def _letters(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


def password_problems(password: str, username: str = "") -> list[str]:
    """Why ``password`` may not be set for ``username``; an empty list when it may."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"must be at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        problems.append(f"must be at most {MAX_LENGTH} characters")
    folded = password.lower()
    bare, name = _letters(password), _letters(username)
    if name and bare in (name, name[::-1]):
        problems.append("must not be the username")
    if folded in _common() or folded.rstrip("0123456789!") in _common():
        problems.append("is one of the most commonly used passwords")
    return problems


def check_password(password: str, username: str = "") -> None:
    """Refuse a password the policy does not allow, saying every reason at once."""
    problems = password_problems(password or "", username)
    if problems:
        raise InvalidInput(f"password: {'; '.join(problems)}", field="password")
