"""Numbered sites and the site faults a simulated trial can be given, for trying out monitoring.

``msctrial clinical simulate --sites 20 --site-fault S07:ae-underreport`` enrols patients at sites
``S01`` … ``S20`` (``numbered_sites``), each recruiting alike, and makes site S07 behave badly in
one way a monitor's key risk indicators are meant to find:

=================  ============================================================  =========
fault              what the site does                                            KRI
=================  ============================================================  =========
``ae-underreport`` enters one adverse event in four that are not serious (minor  AE (low)
                   events and post-infusion reactions); serious ones are all
                   reported
``late-entry``     enters two forms in five 11-30 days after the visit (the      ODAT
                   others within two days, as every site does)
``ineligible``     randomises one patient in four although the screening CT      IE
                   shows no pneumonia (an inclusion criterion the site ticked
                   as met)
=================  ============================================================  =========

The shares are msctrial's choice: strong enough that a site of 30 patients stands out against
nineteen clean ones, as a real fault of that size would. Pure: every draw comes from the
``numpy.random.Generator`` passed in, and a clean site makes no draw here, so a trial without
faults is the same trial with or without this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from msctrial.core.errors import InvalidInput


class Fault(StrEnum):
    ae_underreport = "ae-underreport"
    late_entry = "late-entry"
    ineligible = "ineligible"


# An under-reporting site enters one non-serious AE in four.
AE_REPORTED_SHARE = 0.25
# A late site enters two forms in five after gsm's 10-day limit (kri0010), within a month.
LATE_SHARE = 0.4
LATE_DAYS = (11.0, 30.0)
# An ineligible site randomises one patient in four without pneumonia on the screening CT.
INELIGIBLE_SHARE = 0.25


def numbered_sites(n: int) -> tuple[tuple[str, float], ...]:
    """``n`` sites coded S01 … SNN (three digits from 100 sites), recruiting alike."""
    if not 1 <= n <= 999:
        raise InvalidInput("sites: allowed 1-999", field="sites")
    width = max(2, len(str(n)))
    return tuple((f"S{i:0{width}d}", 1.0) for i in range(1, n + 1))


def parse_site_faults(
    texts: Iterable[str], site_codes: Iterable[str]
) -> tuple[tuple[str, str], ...]:
    """``["S07:ae-underreport", …]`` as (site, fault) pairs, each site among ``site_codes``."""
    known = {c.upper() for c in site_codes}
    out: list[tuple[str, str]] = []
    for text in texts:
        site, sep, name = text.partition(":")
        site, name = site.strip().upper(), name.strip().lower()
        if not sep or not site or not name:
            raise InvalidInput(
                f"site-fault: {text!r} is not SITE:FAULT, e.g. S07:ae-underreport",
                field="site-fault",
            )
        if name not in {f.value for f in Fault}:
            allowed = ", ".join(f.value for f in Fault)
            raise InvalidInput(
                f"site-fault: unknown fault {name!r}; allowed {allowed}", field="site-fault"
            )
        if site not in known:
            raise InvalidInput(
                f"site-fault: {site} is not one of the simulated sites "
                f"({', '.join(sorted(known))})",
                field="site-fault",
            )
        if (site, name) not in out:
            out.append((site, name))
    return tuple(out)


@dataclass(frozen=True)
class SiteBehaviour:
    """How one site records what happens: clean, or with its faults."""

    faults: frozenset[Fault] = frozenset()

    @classmethod
    def of(cls, site: str, faults: Iterable[tuple[str, str]]) -> SiteBehaviour:
        return cls(frozenset(Fault(name) for code, name in faults if code == site))

    def reports_minor_ae(self, rng: np.random.Generator) -> bool:
        """Whether a non-serious adverse event (or an infusion reaction) is entered."""
        if Fault.ae_underreport not in self.faults:
            return True
        return bool(rng.random() < AE_REPORTED_SHARE)

    def entry_delay_days(self, rng: np.random.Generator) -> float | None:
        """Extra days before a form is entered: ``None`` for the usual same-week entry."""
        if Fault.late_entry not in self.faults or rng.random() >= LATE_SHARE:
            return None
        return float(rng.uniform(*LATE_DAYS))

    def enrols_without_pneumonia(self, rng: np.random.Generator) -> bool:
        """Whether this patient is randomised although the screening CT shows no pneumonia."""
        return Fault.ineligible in self.faults and bool(rng.random() < INELIGIBLE_SHARE)


# The screening CT of a patient without pneumonia, as the site enters it.
NO_PNEUMONIA = {"lesion_proportion": 0.0, "bilateral_opacities": "no"}
