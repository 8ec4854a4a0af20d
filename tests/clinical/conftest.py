"""Clinical fixtures: screened and consented subjects, a randomisation list, pharmacy stock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.orm import Session

from msctrial.clinical.randomisation.service import set_up_randomisation
from msctrial.clinical.subjects.consent import record_consent
from msctrial.clinical.subjects.screening import prescreen_patient, screen_subject
from msctrial.core import audit
from msctrial.core.actors import Actor
from msctrial.protocol.service import get_protocol, only_trial

SEED = "clinical-tests-seed-0001"
SEVERE = {
    "pneumonia_on_imaging": True,
    "respiratory_rate": 32,
    "spo2_rest_pct": 91,
    "pao2_mmhg": 70,
    "fio2": 0.4,
}
CRITICAL = {**SEVERE, "mechanical_ventilation": True}


_CRITERIA: dict[str, tuple[list[str], list[str]]] = {}


def criteria(session: Session) -> tuple[dict[str, bool], dict[str, bool]]:
    """Every inclusion criterion met and no exclusion present, for the trial's protocol (read
    once per protocol text: parsing it is most of an ``enrol``)."""
    from sqlalchemy import select

    from msctrial.protocol.tables import ProtocolVersion

    trial = only_trial(session)
    sha = session.scalar(
        select(ProtocolVersion.sha256)
        .where(ProtocolVersion.trial_id == trial.id)
        .order_by(ProtocolVersion.version_no.desc())
        .limit(1)
    )
    if sha is None or sha not in _CRITERIA:
        elig = get_protocol(session, trial.code).protocol.eligibility
        _CRITERIA[str(sha)] = (list(elig.inclusion), list(elig.exclusion))
    session.rollback()  # end the read: on SQLite an open transaction would block the app
    inclusion, exclusion = _CRITERIA[str(sha)]
    return {c: True for c in inclusion}, {c: False for c in exclusion}


def consent_and_screen(
    session: Session,
    actor: Actor,
    site: str = "WUH",
    *,
    consented_at: dt.datetime | None = None,
    **screening: object,
):  # noqa: ANN201
    """The order GCP asks for: the screening log, informed consent, then the screening."""
    code = prescreen_patient(session, actor, site).subject_code
    record_consent(
        session,
        actor,
        code,
        form_version="1.0",
        consented_at=consented_at or dt.datetime.now(dt.UTC) - dt.timedelta(hours=6),
    )
    return screen_subject(session, actor, subject_code_text=code, **screening)  # type: ignore[arg-type]


def enrol(
    session: Session,
    actor: Actor,
    site: str = "WUH",
    obs: dict | None = None,
    *,
    weight_kg: float = 70.0,
    consent: bool = True,
) -> str:
    """An eligible patient (severe by default): on the screening log, consented, screened.

    With ``consent=False`` the patient is only on the screening log (no data before consent).
    """
    code = prescreen_patient(session, actor, site).subject_code
    if not consent:
        return code
    record_consent(
        session,
        actor,
        code,
        form_version="1.0",
        consented_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2),
    )
    inc, exc = criteria(session)
    screen_subject(
        session,
        actor,
        subject_code_text=code,
        year_of_birth=1960,
        sex="female",
        weight_kg=weight_kg,
        observations=obs or SEVERE,
        inclusion_met=inc,
        exclusion_present=exc,
    )
    return code


def check_and_infuse(
    session: Session,
    actor: Actor,
    code: str,
    number: int,
    *,
    scanned_unit_codes: list[str],
    started_at: dt.datetime,
    **infusion: Any,
) -> Any:
    """The bedside's two steps: verify the units a minute before starting, then record.

    A refused check raises ``RuleViolation`` with its reasons, as the page shows them.
    """
    from msctrial.clinical.dosing.bedside import verify_at_bedside
    from msctrial.clinical.dosing.infusion import record_infusion
    from msctrial.core.errors import RuleViolation

    check = verify_at_bedside(
        session,
        actor,
        code,
        number,
        scanned_unit_codes=scanned_unit_codes,
        now=started_at - dt.timedelta(minutes=1),
    )
    if not check.passed:
        raise RuleViolation("; ".join(check.reasons), field="scanned_unit_codes")
    return record_infusion(
        session, actor, code, number, bedside_check_id=check.id, started_at=started_at, **infusion
    )


@pytest.fixture
def rand_list(session, settings, trial):  # noqa: ANN001, ANN201
    """The list (seed SEED, 24 per stratum); on the bare ``trial``, set up once per process and
    written back after (tests/fastdb.py)."""
    from msctrial.clinical.randomisation.tables import RandomisationList
    from tests import fastdb
    from tests.conftest import spine_key

    spine = spine_key(session, settings)
    return fastdb.build_once(
        session,
        ("rand_list", *spine, SEED, 24),
        fastdb.built(spine),
        lambda: set_up_randomisation(session, trial.actor("admin"), seed=SEED, per_stratum=24),
        lambda made: made.id,
        lambda list_id: session.get(RandomisationList, list_id),
    )


@dataclass
class Stock:
    cells: list[str]
    placebo: list[str]
    cells_per_unit: float


@pytest.fixture
def stock(session) -> Stock:  # noqa: ANN001
    """Released, unexpired lots of cells (5×10^7 per 50 mL bag) and placebo, ten units each."""
    from msctrial.product.tables import Lot, Product, Specification, Unit

    actor = Actor.system_actor("test-stock")
    audit.attach(session, actor)
    today = dt.datetime.now(dt.UTC).date()
    made: dict[str, list[str]] = {}
    for kind, cells in (("cells", 5.0e7), ("placebo", None)):
        spec = Specification(
            name=f"test-{kind}",
            version="1",
            kind=kind,
            title=kind,
            yaml_text="{}",
            sha256="0" * 64,
            created_by="test",
        )
        product = Product(code=f"TEST-{kind.upper()}", name=kind, kind=kind)
        session.add_all([spec, product])
        session.flush()
        lot = Lot(
            code=f"LOT-{kind.upper()}-1",
            product_id=product.id,
            specification_id=spec.id,
            process_version="1",
            manufactured_on=today - dt.timedelta(days=30),
            expires_on=today + dt.timedelta(days=300),
            storage_location="LN2 tank 1",
            status="released",
            created_by="test",
        )
        session.add(lot)
        session.flush()
        codes = [f"U-{kind[0].upper()}{i:011d}" for i in range(10)]
        session.add_all(Unit(code=c, lot_id=lot.id, cells=cells, volume_ml=50.0) for c in codes)
        made[kind] = codes
    session.commit()
    return Stock(made["cells"], made["placebo"], 5.0e7)


@pytest.fixture
def on_arm(session, trial, rand_list) -> dict[str, str]:  # noqa: ANN001
    """A randomised subject on each arm: {arm: subject code}."""
    from msctrial.clinical.randomisation.allocation import allocation_of
    from msctrial.clinical.subjects.access import get_subject
    from tests.clinical.visits_support import randomised_subject

    found: dict[str, str] = {}
    for _ in range(24):
        code = randomised_subject(session, trial, days_ago=5)
        arm = allocation_of(session, get_subject(session, trial.actor("dsmb"), code)).arm
        found.setdefault(arm, code)
        if len(found) == 2:
            return found
    raise AssertionError(f"24 subjects and still one arm only: {found}")


# The web fixtures (app, client, login, token) for the clinical page and API tests.
from tests.web.conftest import app, client, csrf_of, login, token  # noqa: E402, F401


@pytest.fixture
def login_as(session, login):  # noqa: ANN001, ANN201, F811
    """``login`` after ending the test session's read: SQLite would block the app's writes."""
    session.rollback()
    return login
