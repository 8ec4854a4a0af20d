"""Every form of a visit as the services would store it, for a bulk trial to analyse.

``bulk_trial`` writes by default only what the monitoring KRIs read. With ``every_form`` it
writes each form of the visit the way ``clinical.visits`` stores it: the typist's values
(``typist.Typist``) in the form's canonical units, booleans as "true"/"false", and the derived
items (P/F, NLR, CD4/CD8, the WHO scale …) computed by ``clinical.visits.derived`` from them,
so the analysis reads a bulk trial exactly as it reads one played through the services.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from msctrial.clinical.visits.derived import derive
from msctrial.clinical.visits.forms import catalogue
from msctrial.simulation.patients import Patient, discharge_day
from msctrial.simulation.typist import KPA_PER_MMHG, Typist

# The two non-canonical units the typist uses (Beijing's kPa, Kunming's mg/dL).
TO_CANONICAL = {"kPa": 1 / KPA_PER_MMHG, "mg/dL": 10.0}
YES_NO = {"yes": True, "no": False}


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return float(value["value"]) * TO_CANONICAL[value["unit"]]
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    return YES_NO.get(value, value)


def _stored(value: Any) -> float | str:
    """A number as a float, a boolean as the text the service stores, a choice as itself."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


class VisitForms:
    """One patient's forms on one visit: the blood gas's P/F feeds the WHO scale after it."""

    def __init__(self, typist: Typist, patient: Patient, day0: dt.date) -> None:
        self.typist, self.p, self.day0 = typist, patient, day0
        self.home_from = discharge_day(patient, False, 0.0)  # the bulk world's control arm

    def values(self, form: str, state: dict[str, float], day: int, pf: float | None) -> dict:
        """(name → stored value) of the form's entered and derived items."""
        home = self.home_from
        discharged = home is not None and day >= home
        discharge_on = None
        if home is not None and discharged:
            discharge_on = (self.day0 + dt.timedelta(days=home)).isoformat()
        typed = self.typist.values(form, self.p, state, day, hospitalised=not discharged,
                                   discharge_on=discharge_on, msc=False, effect=0.0)  # fmt: skip
        entered = {name: _canonical(v) for name, v in typed.items()}
        derived = derive(form, entered, visit_pf=pf).values
        return {name: _stored(v) for name, v in {**entered, **derived}.items()}


@functools.cache
def unit_of(form: str, item: str) -> str | None:
    """The canonical unit of a numeric item (None for a text or a unitless choice)."""
    found = catalogue()[form].item(item)
    return found.unit if found is not None else None


@functools.cache
def is_derived(form: str, item: str) -> bool:
    found = catalogue()[form].item(item)
    return bool(found is not None and found.derived)
