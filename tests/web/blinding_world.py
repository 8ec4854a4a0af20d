"""The world and the walk of the every-route blinding tests (test_blinding_every_route):
the demo plus subjects enrolled, randomised, dosed and unblinded at two sites, every route
with its path parameters filled from that world, and what counts as a leak."""

from __future__ import annotations

import datetime as dt
import io
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.routing import Route

from msctrial.clinical.dosing.dispensing import dispense_administration, plan_dispensing
from msctrial.clinical.randomisation.service import randomise_subject, set_up_randomisation
from msctrial.clinical.randomisation.tables import RandomisationList
from msctrial.clinical.randomisation.unblinding import emergency_unblind
from msctrial.clinical.subjects.access import get_subject, list_subjects
from msctrial.core.db import make_engine, utcnow
from msctrial.core.session import make_sessionmaker
from msctrial.core.settings import Settings
from msctrial.core.users import get_user, load_actor
from msctrial.demo import build_demo
from msctrial.demo.spine import USERS, demo_password
from msctrial.protocol.service import get_protocol, only_trial
from msctrial.web.app import create_app
from tests.clinical.conftest import check_and_infuse, consent_and_screen
from tests.conftest import TEST_SECRET
from tests.web.conftest import log_in

ARMS = ("UC-MSC", "Placebo")
BLINDED = (
    "investigator",
    "coordinator",
    "investigator.bjs",
    "investigator.kmg",
    "monitor",
    "statistician",
    "admin",
    "safety",
)
SITE_USERS = {
    "investigator": "WUH",
    "coordinator": "WUH",
    "pharmacist": "WUH",
    "investigator.bjs": "BJS",
    "investigator.kmg": "KMG",
}
# Pages that describe a protocol's design or other registered trials name arms by design.
DESIGN_PAGES = ("/protocol", "/api/v1/protocols", "/registry", "/api/v1/registry")
# A field that names the allocation, unless its value is the audit trail's sealed marker.
SEALED = r'(?:"\[blinded\]"|null)'
FIELD_LEAK = re.compile(
    r'"(?:arm|product_kind|lot_code|lot_codes)"\s*:\s*+'
    rf"(?!{SEALED}\s*[,}}]|\[\s*{SEALED}\s*,\s*{SEALED}\s*\])"
    r'|id="(?:unblinded-)?arm"'
)
KIND_LEAK = re.compile(r'"(?:product_)?kind"\s*:\s*"(?:cells|placebo)"')
VITALS = {
    "heart_rate": 90,
    "systolic_bp": 120,
    "diastolic_bp": 75,
    "respiratory_rate": 22,
    "temperature_c": 37.0,
    "spo2_pct": 95,
}


@dataclass
class World:
    settings: Settings
    codes_by_site: dict[str, list[str]]
    lots: list[str]
    trial: str
    units: list[str] = field(default_factory=list)
    # The one page that shows an arm to a blinded role: an emergency unblinding's result, to
    # the investigator who made it (issue 9, hole 5). (username, path)
    unblinded_page: tuple[str, str] = ("", "")
    # A suspected SUSAR the sponsor's safety officer unblinded (issue 9, hole 6): its adverse
    # event id, and its case page and route, which show the arm to that officer alone.
    susar_ae: str = ""
    susar_pages: tuple[tuple[str, str], ...] = ()

    def exempt(self, username: str, path: str) -> bool:
        """A page that shows an arm to this blinded user by design: their own unblinding."""
        return (username, path) == self.unblinded_page or (username, path) in self.susar_pages


def _enrol(session, username: str, site: str) -> str:  # noqa: ANN001
    actor = load_actor(session, get_user(session, username))
    elig = get_protocol(session, only_trial(session).code).protocol.eligibility
    out = consent_and_screen(
        session,
        actor,
        site,
        year_of_birth=1955,
        sex="male",
        weight_kg=70.0,
        observations={"pneumonia_on_imaging": True, "respiratory_rate": 33, "spo2_rest_pct": 90},
        inclusion_met={c: True for c in elig.inclusion},
        exclusion_present={c: False for c in elig.exclusion},
    )
    code = out.subject.subject_code
    randomise_subject(session, actor, code, password=demo_password(actor.username))
    return code


def _suspected_susar(session, code: str) -> int:  # noqa: ANN001
    """A serious, related, unexpected event; its SAE report reaches the sponsor, whose safety
    officer unblinds the case (signed)."""
    from msctrial.clinical.safety import service as safety
    from msctrial.clinical.safety import susar

    investigator = load_actor(session, get_user(session, "investigator"))
    onset = get_subject(session, investigator, code).day0_date
    ae = safety.report_ae(
        session,
        investigator,
        code,
        {
            "term": "Acute kidney injury",
            "onset_date": onset.isoformat(),
            "grade": 3,
            "seriousness": ["hospitalisation"],
            "relationship_product": "possible",
            "relationship_infusion": "possible",
            "expectedness": "unexpected",
            "outcome": "recovering",
        },
    )
    safety.submit_report(session, investigator, ae.reports[0].id)
    officer = load_actor(session, get_user(session, "safety"))
    susar.assess_susar(
        session, officer, ae.id, "causality assessment", password=demo_password("safety")
    )
    return ae.id


def _dose(session, code: str) -> list[str]:  # noqa: ANN001
    pharmacist = load_actor(session, get_user(session, "pharmacist"))
    now = utcnow()
    # The service sizes the administration alike in both arms and proposes the units.
    units = list(plan_dispensing(session, pharmacist, code, 1, now=now).proposed)
    dispense_administration(
        session,
        pharmacist,
        code,
        1,
        unit_codes=units,
        thawed_at=now - dt.timedelta(minutes=60),
        now=now - dt.timedelta(minutes=50),
    )
    coordinator = load_actor(session, get_user(session, "coordinator"))
    check_and_infuse(
        session,
        coordinator,
        code,
        1,
        scanned_unit_codes=units,
        started_at=now - dt.timedelta(minutes=40),
        stopped_at=now - dt.timedelta(minutes=10),
        volume_ml=100,
        vitals_before=VITALS,
        vitals_after=VITALS,
        reactions=["chills"],
    )
    return units


def make_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    db: Path = tmp_path_factory.mktemp("walk") / "walk.db"
    settings = Settings(
        database_url=f"sqlite:///{db}", demo=True, secret_key=TEST_SECRET, cookie_secure=False
    )
    ctx = build_demo(settings, subjects=3, seed=11)
    engine = make_engine(settings)
    with make_sessionmaker(engine)() as session:
        admin = load_actor(session, get_user(session, "admin"))
        if session.scalar(select(RandomisationList.id)) is None:
            set_up_randomisation(session, admin, seed="walk-seed-0123456789", per_stratum=40)
        wuh = [_enrol(session, "investigator", "WUH") for _ in range(2)]
        bjs = [_enrol(session, "investigator.bjs", "BJS")]
        units = [u for code in wuh[:2] for u in _dose(session, code)]
        investigator = load_actor(session, get_user(session, "investigator"))
        unblinding = emergency_unblind(
            session,
            investigator,
            wuh[0],
            "anaphylaxis, need to know",
            password=demo_password("investigator"),
        )
        susar_ae = str(_suspected_susar(session, wuh[1]))
        from msctrial.product.tables import Lot

        lots = list(session.scalars(select(Lot.code)))
        codes: dict[str, list[str]] = {}
        for s in list_subjects(session, admin):
            codes.setdefault(s.subject_code.split("-")[0], []).append(s.subject_code)
        codes["WUH"] = [wuh[0], *(c for c in codes["WUH"] if c != wuh[0])]
    engine.dispose()
    assert set(wuh) <= set(codes["WUH"]) and set(bjs) <= set(codes["BJS"])
    page = f"/clinical/subjects/{wuh[0]}/unblindings/{unblinding.id}"
    susar_pages = (
        ("safety", f"/safety/susars/{susar_ae}"),
        ("safety", f"/api/v1/clinical/susar-assessments/{susar_ae}"),
    )
    return World(
        settings,
        codes,
        lots,
        ctx.trial_code,
        units,
        ("investigator", page),
        susar_ae,
        susar_pages,
    )


def make_clients(world: World) -> Iterator[dict[str, TestClient]]:
    app = create_app(world.settings)
    out = {}
    for username, *_ in USERS:
        c = TestClient(app, follow_redirects=False)
        c.__enter__()
        assert log_in(c, username, demo_password(username)).status_code == 303
        out[username] = c
    yield out
    for c in out.values():
        c.__exit__(None, None, None)


def _values(name: str, world: World) -> list[str]:
    """Values to try for a path parameter, by its name."""
    name = name.lower()
    if name in ("code", "subject", "subject_code", "subject_id"):
        # One per site; at WUH the subject that was dosed and unblinded.
        return [codes[0] for codes in world.codes_by_site.values()]
    if name in ("lot", "lot_code"):
        return world.lots[:2]
    if name in ("unit", "unit_code"):
        return world.units[:1]
    if name in ("trial", "trial_code"):
        return [world.trial]
    if name in ("site", "site_code"):
        return ["WUH", "BJS"]
    if name == "ae_id":  # the first adverse event, and the SUSAR the safety officer unblinded
        return sorted({"1", world.susar_ae})
    if name == "key":  # a visit of the protocol
        return ["day-0"]
    if name == "form":
        return ["vital_signs"]
    if name == "username":  # the administration's account pages
        return ["coordinator"]
    return ["1"]


def _routes(app):  # noqa: ANN001, ANN202
    """Every route with its full path; FastAPI ≥0.16x keeps included routers as one entry."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:
        return [r for r in app.routes if isinstance(r, APIRoute | Route)]
    return [r for r in iter_route_contexts(app.routes) if r.path]


def walk_one(template: str, world: World) -> list[tuple[str, str | None]]:
    """One route's path with each combination of parameter values: (path, subject code)."""
    paths: list[tuple[str, str | None]] = [(template, None)]
    for p in re.findall(r"{(\w+)(?::\w+)?}", template):
        is_subject = p.lower() in ("code", "subject", "subject_code", "subject_id")
        paths = [
            (re.sub(r"{" + p + r"(?::\w+)?}", value, path, count=1), value if is_subject else subj)
            for path, subj in paths
            for value in _values(p, world)
        ]
    return paths


def walk(app, world: World) -> Iterator[tuple[str, str | None]]:  # noqa: ANN001
    """Every GET path of the app with its parameters filled: (path, subject code in it)."""
    for route in _routes(app):
        if "GET" not in (route.methods or ()):
            continue
        if route.path.startswith(("/static", "/api/docs", "/api/openapi", "/docs")):
            continue
        yield from walk_one(route.path, world)


def _is_design_page(path: str) -> bool:
    return path.startswith(DESIGN_PAGES)


def _get(client: TestClient, path: str):  # noqa: ANN202
    """GET a page as a reader sees it in the end: the Analysis page shows progress while its
    report is computed in the background, and the walk must read the report itself."""
    deadline = time.monotonic() + 60
    response = client.get(path)
    while 'id="report-computing"' in response.text and time.monotonic() < deadline:
        time.sleep(0.1)
        response = client.get(path)
    return response


def _body(response) -> str:  # noqa: ANN001
    """A response's text; a PDF's (the analysis report) as pypdf extracts it."""
    if response.headers.get("content-type") != "application/pdf":
        return response.text
    from pypdf import PdfReader

    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)


def _normalise(body: str) -> str:
    """Hide what differs between two renders of one page: the clock and a signed act's key."""
    body = re.sub(r'value="\d{4}-\d\d-\d\dT\d\d:\d\d"', 'value="NOW"', body)
    body = re.sub(r"Generated \d{4}-\d\d-\d\d \d\d:\d\d UTC", "Generated NOW", body)
    return re.sub(r'name="request_key" value="[^"]*"', 'name="request_key" value="KEY"', body)


def _bodies(clients: dict[str, TestClient], users: tuple[str, ...], world: World) -> dict:
    app = next(iter(clients.values())).app
    return {
        (u, path): _normalise(_body(_get(clients[u], path)))
        for u in users
        for path, _ in walk(app, world)
    }


def _leaks(body: str, path: str, world: World) -> list:
    found: list = [lot for lot in world.lots if lot in body]
    found += FIELD_LEAK.findall(body) + KIND_LEAK.findall(body)
    if not _is_design_page(path):
        found += [arm for arm in ARMS if arm in body]
    return found
