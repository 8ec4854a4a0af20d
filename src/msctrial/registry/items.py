"""What the readers yield: one study read, or one problem met, with where it came from."""

from __future__ import annotations

from dataclasses import dataclass

from msctrial.registry.model import Problem, Study


@dataclass(frozen=True)
class Item:
    file: str
    study: Study | None = None
    problem: Problem | None = None
    skipped: bool = False  # passed over by the prefilter: certainly not an MSC trial


def problem(file: str, reason: str) -> Item:
    """A record that could not be read; reading goes on."""
    return Item(file, problem=Problem(file=file, reason=reason))


def fatal(file: str, reason: str, members_read: int | None = None) -> Item:
    """A path that could not be read as a whole (or past some point, for an archive)."""
    return Item(
        file, problem=Problem(file=file, reason=reason, fatal=True, members_read=members_read)
    )
