"""Trial ids across registries: which register an id belongs to, the key two records of one
trial share, and the address of a trial's record on its own registry.

A trial registered twice (ClinicalTrials.gov and ChiCTR, EudraCT and ClinicalTrials.gov …) is
one trial. Its records name each other in their secondary ids, in the WHO ICTRP's "bridging"
of related records, or in their free text; ``id_key`` is what two of those ids must share.
EudraCT ids carry a country suffix in ICTRP (``EUCTR2020-001266-11-ES``): one trial in several
member states is still one trial, so the key drops it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote

# Each register's id, as its own records and the WHO ICTRP write it (ICTRP's TrialID column).
_PATTERNS: list[tuple[str, str]] = [
    ("ClinicalTrials.gov", r"NCT\d{8}"),
    ("ChiCTR", r"ChiCTR(?:-[A-Za-z]{2,5}-)?\d{8,10}"),
    ("IRCT", r"IRCT\d{8,14}N\d{1,3}"),
    ("EU Clinical Trials Register", r"(?:EUCTR|EudraCT\s*(?:No\.?|number)?:?\s*)\d{4}-\d{6}-\d{2}(?:-[A-Z]{2}|-3RD)?"),
    ("ISRCTN", r"ISRCTN\d{8}"),
    ("ANZCTR", r"ACTRN\d{14}"),
    ("CTRI", r"CTRI/\d{4}/\d{2,3}/\d{6}"),
    ("German Clinical Trials Register", r"DRKS\d{8}"),
    ("JPRN", r"JPRN-[A-Za-z]+\d+|jRCT\w?\d{9,}"),
    ("Netherlands Trial Register", r"NL-?OMON\d+|NL\d{4,}|NTR\d{3,}"),
    ("REBEC", r"RBR-\w{6,8}"),
    ("RPCEC", r"RPCEC\d{8}"),
    ("TCTR", r"TCTR\d{11}"),
    ("PACTR", r"PACTR\d{15}"),
    ("CRIS", r"KCT\d{7}"),
    ("LBCTR", r"LBCTR\d{10}"),
    ("SLCTR", r"SLCTR/\d{4}/\d{3}"),
    ("REPEC", r"PER-\d{3}-\d{2}"),
]  # fmt: skip
_ANY = re.compile(r"(?<![\w/-])(?:" + "|".join(p for _, p in _PATTERNS) + r")(?![\w/])")
_WHOLE = [(name, re.compile(rf"^(?:{p})$")) for name, p in _PATTERNS]
_EUDRACT = re.compile(r"\d{4}-\d{6}-\d{2}")


def registry_of(trial_id: str) -> str | None:
    """The register that issues ids like ``trial_id``; None for an id of no known register."""
    text = trial_id.strip()
    return next((name for name, pattern in _WHOLE if pattern.match(text)), None)


def normalise_id(text: str) -> str:
    """One spelling per id: 'EudraCT No: 2020-001266-11' → 'EUCTR2020-001266-11'."""
    value = text.strip()
    m = _EUDRACT.search(value)
    if m and (value.upper().startswith("EUDRACT") or value.upper().startswith("EUCTR")):
        suffix = value[m.end() :]
        return "EUCTR" + m.group(0) + (suffix if re.fullmatch(r"-[A-Z]{2}|-3RD", suffix) else "")
    return value


def id_key(trial_id: str) -> str:
    """What two records of one trial share: the id without a member-state suffix, upper case."""
    value = normalise_id(trial_id).upper()
    m = re.match(r"^(EUCTR\d{4}-\d{6}-\d{2})", value)
    return m.group(1) if m else value


def linked_ids(values: Iterable[object], own: str | None = None) -> list[str]:
    """The ids of registers found in ``values`` (secondary ids, free text), ``own`` left out."""
    out: list[str] = []
    skip = id_key(own) if own else None
    for v in values:
        for m in _ANY.finditer(str(v or "")):
            found = normalise_id(m.group(0))
            if id_key(found) != skip:
                out.append(found)
    return list(dict.fromkeys(out))


def record_url(trial_id: str, registry: str | None = None) -> str | None:
    """The trial's page on its own registry, built from its id (ICTRP's address when known
    is better: ChiCTR pages are numbered by an internal project number, not by the id)."""
    reg = registry or registry_of(trial_id)
    tid = trial_id.strip()
    if reg == "ClinicalTrials.gov":
        return f"https://clinicaltrials.gov/study/{tid}"
    if reg == "ISRCTN":
        return f"https://www.isrctn.com/{tid}"
    if reg == "EU Clinical Trials Register":
        m = _EUDRACT.search(tid)
        return (
            f"https://www.clinicaltrialsregister.eu/ctr-search/search?query={m.group(0)}"
            if m
            else None
        )
    if reg == "German Clinical Trials Register":
        return f"https://drks.de/search/en/trial/{tid}"
    if reg == "ANZCTR":
        return f"https://www.anzctr.org.au/ACTRN={tid[5:]}.aspx"
    # the other registers' pages are found through the WHO portal
    return f"https://trialsearch.who.int/Trial2.aspx?TrialID={quote(tid)}"
