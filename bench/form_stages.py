"""Where a form submission's time goes: the request's own steps, in this process, profiled.

The server runs in other processes, so the benchmark replays the API's steps for the same kind
of submission here, under cProfile, and attributes each function's cumulative time to a stage:

    parse      the JSON body into the API's ``FormSubmission`` model
    authorise  the bearer token to an actor, the subject at a site the actor may see, consent
    validate   the form's edit checks and derived values (``check_form``, less conversion)
    convert    unit conversion (``core.units`` and the affine fast path)
    write      the ORM flush and commit, less the audit trail
    audit      the audit entries of the flush: their HMAC chain and the head update
    other      the rest: reading the visit schedule, window checks, the response object

Times under cProfile are inflated (roughly twice), so the shares are the figure to read.
"""

from __future__ import annotations

import cProfile
import json
import pstats
from typing import Any

STAGES = ("parse", "authorise", "validate", "convert", "write", "audit", "other")

# (file ending, function name) whose cumulative time is the stage, summed.
_MEASURED: dict[str, list[tuple[str, str]]] = {
    "parse": [("pydantic/main.py", "model_validate_json")],
    "authorise": [
        ("msctrial/core/users.py", "actor_for_token"),
        ("msctrial/clinical/subjects/access.py", "get_subject"),
        ("msctrial/clinical/subjects/consent.py", "require_consent"),
    ],
    "convert": [
        ("msctrial/clinical/visits/edit_checks.py", "to_canonical"),
        ("msctrial/core/units.py", "convert"),
    ],
    "validate": [("msctrial/clinical/visits/edit_checks.py", "check_form")],
    "audit": [("msctrial/core/audit.py", "_after_flush")],
    "write": [
        ("sqlalchemy/orm/session.py", "flush"),
        ("sqlalchemy/orm/session.py", "commit"),
    ],
}


def _cumulative(stats: dict[Any, Any], wanted: list[tuple[str, str]]) -> float:
    total = 0.0
    for (filename, _line, name), (_cc, _nc, _tt, cumulative, _callers) in stats.items():
        if any(filename.endswith(end) and name == fn for end, fn in wanted):
            total += cumulative
    return total


def stage_breakdown(
    url: str, slots: list[Any], values: dict[str, Any], token: str
) -> dict[str, float]:
    """Milliseconds per form in each stage, for ``slots`` submitted as ``token``'s user."""
    from msctrial.clinical.visits import service
    from msctrial.clinical.visits.windows import visit_key
    from msctrial.core.db import make_engine
    from msctrial.core.session import make_sessionmaker
    from msctrial.core.settings import Settings
    from msctrial.core.users import actor_for_token
    from msctrial.web.api.visits import FormSubmission

    settings = Settings(database_url=url, secret_key="x" * 40)
    engine = make_engine(settings)
    factory = make_sessionmaker(engine, settings.keyring())
    bodies = [
        json.dumps({"values": values[s.form], "visit_date": s.visit_date.isoformat()}).encode()
        for s in slots
    ]
    profile = cProfile.Profile()
    profile.enable()
    for slot, body in zip(slots, bodies, strict=True):
        submission = FormSubmission.model_validate_json(body)
        with factory() as session:
            actor = actor_for_token(session, token)
            service.enter_form(
                session,
                actor,
                slot.subject,
                visit_key(slot.visit),
                slot.form,
                submission.values,
                visit_date=submission.visit_date,
                collected_at=submission.collected_at,
            )
    profile.disable()
    engine.dispose()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    total = sum(tt for (_cc, _nc, tt, _ct, _callers) in stats.values())
    ms = {name: _cumulative(stats, wanted) for name, wanted in _MEASURED.items()}
    ms["validate"] -= ms["convert"]
    ms["write"] -= ms["audit"]
    ms["other"] = total - sum(ms.values())
    return {name: ms[name] * 1000 / len(slots) for name in STAGES}


def print_breakdown(results: dict[str, dict[str, float]]) -> None:
    print("stage breakdown, ms per form under cProfile (share of the total):")
    print(f"{'backend':<11} " + " ".join(f"{s:>15}" for s in STAGES))
    for backend, stages in results.items():
        total = sum(stages.values())
        cells = " ".join(f"{v:>7.2f} ({v / total:>4.0%})" for v in stages.values())
        print(f"{backend:<11} {cells}")
