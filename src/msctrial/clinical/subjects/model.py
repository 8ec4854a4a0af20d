"""The words of a subject's record shared by its tables, services and doors. Pure.

The states a subject passes through, sex, who signed the consent, and the pseudonymised
subject code.
"""

from __future__ import annotations

import re
from enum import StrEnum


class SubjectStatus(StrEnum):
    """Where a subject stands in the trial.

    prescreening → (informed consent) → screening → screen_failure (ends), or → randomised →
    completed | withdrawn | died. A pre-screened patient is an anonymous number on the
    site's screening log (ICH E6(R2) 4.8.8: nothing identifiable or clinical is recorded
    before consent); prescreening can also end in screen_failure (declined, not eligible).
    """

    prescreening = "prescreening"
    screening = "screening"
    screen_failure = "screen_failure"
    randomised = "randomised"
    completed = "completed"
    withdrawn = "withdrawn"
    died = "died"

    @property
    def is_active(self) -> bool:
        """Still in the trial: study procedures may be recorded."""
        return self in (SubjectStatus.screening, SubjectStatus.randomised)


class Sex(StrEnum):
    female = "female"
    male = "male"


class ConsentSigner(StrEnum):
    """Who signed: the patient, or a legally authorised representative (ICH E6(R2) 4.8.12)."""

    subject = "subject"
    legal_representative = "legal_representative"


SUBJECT_CODE = re.compile(r"^(?P<site>[A-Z0-9]{2,16})-(?P<seq>\d{3,5})$")


def subject_code(site_code: str, sequence: int) -> str:
    """The pseudonymised id: site code and a per-site sequence, e.g. WUH-001.

    No name, initials or birth date go into it, so it can travel in exports and queries.
    """
    return f"{site_code}-{sequence:03d}"


def normalise_subject_code(text: str) -> str | None:
    """'wuh-1' → 'WUH-001'; None when the text cannot be a subject code."""
    raw = (text or "").strip().upper()
    site, _, seq = raw.partition("-")
    if not site or not seq.isdigit():
        return None
    code = subject_code(site, int(seq))
    return code if SUBJECT_CODE.match(code) else None
