"""Reading the adverse-event and reaction-check HTML forms into what the services take.

Parsing only: the services validate (``AdverseEventInput``, ``ReactionCheckInput``) and name
the field that is wrong. Date-times typed on a form are the ward's clock (the site's zone).
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData

from msctrial.clinical import adverse_events as rules
from msctrial.clinical.visit_schemas import AdverseEventPublic
from msctrial.web.pages.clinical import local_time

SERIOUS_CHOICES = [s.value for s in rules.Seriousness if s is not rules.Seriousness.death]


def _text(data: FormData, name: str) -> str | None:
    value = str(data.get(name) or "").strip()
    return value or None


def ae_input(data: FormData, zone: str | None) -> dict[str, Any]:
    """An adverse event from its form; blanks are left out so the model's defaults apply."""
    out: dict[str, Any] = {
        "term": _text(data, "term") or "",
        "description": _text(data, "description"),
        "onset_date": _text(data, "onset_date"),
        "end_date": _text(data, "end_date"),
        "grade": _text(data, "grade"),
        "seriousness": [str(v) for v in data.getlist("seriousness")],
        "relationship_product": _text(data, "relationship_product"),
        "relationship_infusion": _text(data, "relationship_infusion"),
        "expectedness": _text(data, "expectedness"),
        "action_taken": _text(data, "action_taken"),
        "outcome": _text(data, "outcome"),
        "awareness_at": local_time(_text(data, "awareness_at"), "awareness_at", zone),
    }
    return {k: v for k, v in out.items() if v is not None}


def reaction_input(data: FormData) -> dict[str, Any]:
    """The four expected-reaction questions, their grades and seriousness."""
    out: dict[str, Any] = {k: data.get(k) == "yes" for k in rules.REACTION_KEYS}
    temp = _text(data, "max_temperature_c")
    if temp is not None:
        out["max_temperature_c"] = temp
    hours = _text(data, "hours_above_40")
    if hours is not None:
        out["hours_above_40"] = hours
    out["grades"] = {
        k: _text(data, f"grade_{k}")
        for k in rules.REACTION_KEYS
        if k != "fever" and _text(data, f"grade_{k}")
    }
    out["serious"] = {
        k: [_text(data, f"serious_{k}")] for k in rules.REACTION_KEYS if _text(data, f"serious_{k}")
    }
    if _text(data, "relationship"):
        out["relationship"] = _text(data, "relationship")
    if _text(data, "notes"):
        out["notes"] = _text(data, "notes")
    return out


def ae_context(code: str, ae: AdverseEventPublic | None, **extra: Any) -> dict[str, Any]:
    """The choices of the adverse-event form, and the event (or what was typed) to fill it."""
    typed = dict(extra.pop("typed", {}) or {})
    if ae is not None and not typed:
        typed = ae.model_dump(mode="json")
    return {
        "code": code,
        "ae": ae,
        "typed": typed,
        "grades": rules.GRADE_MEANING,
        "seriousness": [s.value for s in rules.Seriousness],
        "relationships": [r.value for r in rules.Relationship],
        "expectedness": [e.value for e in rules.Expectedness],
        "actions": [a.value for a in rules.ActionTaken],
        "outcomes": [o.value for o in rules.Outcome],
        "reactions": rules.EXPECTED_REACTIONS,
        "serious_choices": SERIOUS_CHOICES,
        **extra,
    }
