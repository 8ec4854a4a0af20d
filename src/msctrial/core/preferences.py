"""A user's own preferences: the interface language.

A preference is the user's, so the user sets it for themself; it is an audited change of their
account like any other (who, when, old → new), with the reason "chosen by the user".
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from msctrial.core import audit
from msctrial.core.actors import Actor
from msctrial.core.errors import InvalidInput, NotAuthenticated
from msctrial.core.tables import User

# The languages of the interface (BCP 47 tags): English as written, and Simplified Chinese.
INTERFACE_LANGUAGES = ("en", "zh-CN")


def choose_language(session: Session, actor: Actor, language: str) -> None:
    """Store the language the user's pages are shown in from now on, on every browser."""
    if language not in INTERFACE_LANGUAGES:
        raise InvalidInput(
            f"language: {language!r} is not offered; choose one of {', '.join(INTERFACE_LANGUAGES)}",
            field="language",
        )
    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None:
        raise NotAuthenticated("log in to keep a language for your account")
    if user.locale == language:
        return
    audit.attach(session, actor)
    with audit.because(session, "chosen by the user", action="choose language"):
        user.locale = language
    session.commit()
