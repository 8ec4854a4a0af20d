"""Form entry through the HTTP API against plain SQLAlchemy Core inserts of the same rows.

    python bench/form_entry.py                     # N=300 on SQLite and on PostgreSQL
    python bench/form_entry.py --n 100 --backend sqlite

For each backend, on one fresh database: N form submissions through the JSON API (uvicorn on a
free port, real HTTP with httpx, bearer token; validation, unit conversion, derived values, the
consent check and the audit trail included), then the same rows (visit record, form entry,
form values) inserted with SQLAlchemy Core, one transaction per form, no validation and no
audit. It prints both rates and their ratio, and the p50/p99 latency of the API with 16
concurrent clients, and where a submission's time goes, stage by stage (``form_stages``).
Issue 14's targets: ratio ≥ 0.3 on both backends, and p99 < 100 ms on PostgreSQL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from msctrial.clinical.randomisation.service import randomise_subject, set_up_randomisation
from msctrial.clinical.subjects.access import get_subject
from msctrial.clinical.subjects.consent import record_consent
from msctrial.clinical.subjects.screening import prescreen_patient, screen_subject

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

from form_stages import print_breakdown, stage_breakdown  # noqa: E402

PG_URL = os.environ.get("MSCTRIAL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SECRET = "bench-secret-key-that-is-long-enough-0123456789"
CLIENTS = 16
# Typical values of a hospitalised patient, none outside a soft range (no query is raised).
VALUES: dict[str, dict[str, Any]] = {
    "vital_signs": {
        "respiratory_rate": 24,
        "heart_rate": 92,
        "temperature": 37.6,
        "spo2": 94,
        "systolic_bp": 124,
        "diastolic_bp": 76,
    },
    "blood_gas": {"pao2": {"value": 10.4, "unit": "kPa"}, "fio2": 0.4, "paco2": 38},
    "cbc": {
        "wbc": 6.2,
        "neutrophils": 4.9,
        "lymphocytes": 0.8,
        "platelets": 210,
        "haemoglobin": 128,
    },
    "lymphocyte_subsets": {"cd3": 520, "cd4": 290, "cd8": 160},
    "cytokines": {"il6": 32.5, "il10": 11.2, "tnf_alpha": 9.1, "il2r": 980},
    "chemistry": {
        "crp": {"value": 5.4, "unit": "mg/dL"},
        "ferritin": 640,
        "d_dimer": 0.9,
        "procalcitonin": 0.08,
        "lactate": 1.6,
        "ldh": 310,
    },
    "imaging": {
        "modality": "ct",
        "lesion_proportion": 32.0,
        "bilateral_opacities": True,
        "fibrosis": False,
    },
    "symptoms": {"fatigue": "moderate", "dyspnoea": "mild", "cough": "mild"},
    "who_scale": {"hospitalised": True, "oxygen_support": "mask_or_prongs"},
    "hospital_status": {"status": "ward"},
}


@dataclass(frozen=True)
class Slot:
    subject: str
    subject_id: int
    site_id: int
    visit: str
    study_day: int
    visit_date: dt.date
    form: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(url: str, sizes: list[int]) -> list[list[Slot]]:
    """The demo spine, a randomisation list, and enough randomised subjects whose every visit
    lies in the past; each visit × form is one slot a submission can fill. One group of slots
    per size, each from its own subjects, so no run meets another run's visit records."""
    from argon2 import PasswordHasher

    import msctrial.core.users as users
    from msctrial.core.db import make_engine
    from msctrial.core.session import create_all, make_sessionmaker
    from msctrial.core.settings import Settings
    from msctrial.demo import DemoContext, spine
    from msctrial.protocol.service import get_protocol, only_trial

    users._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # set-up only
    engine = make_engine(url)
    create_all(engine)
    settings = Settings(database_url=url, secret_key=SECRET)
    by_subject: list[list[Slot]] = []
    with make_sessionmaker(engine)() as session:
        spine.build(session, settings, DemoContext(subjects=0, seed=1))
        admin = next(a for a in _actors(session) if a.username == "admin")
        inv = next(a for a in _actors(session) if a.username == "investigator")
        set_up_randomisation(session, admin, seed="bench-form-entry-seed", per_stratum=200)
        protocol = get_protocol(session, only_trial(session).code).protocol
        elig = protocol.eligibility
        per_subject = sum(len(v.forms) for v in protocol.visits)
        start = dt.datetime.now(dt.UTC) - dt.timedelta(days=200)
        for _ in range(sum(-(-size // per_subject) for size in sizes)):
            code = prescreen_patient(session, inv, "WUH", prescreened_on=start.date()).subject_code
            record_consent(
                session, inv, code, form_version="1", consented_at=start + dt.timedelta(minutes=30)
            )
            screen_subject(
                session,
                inv,
                subject_code_text=code,
                year_of_birth=1960,
                sex="female",
                weight_kg=68,
                observations={
                    "pneumonia_on_imaging": True,
                    "respiratory_rate": 32,
                    "spo2_rest_pct": 91,
                },
                inclusion_met={c: True for c in elig.inclusion},
                exclusion_present={c: False for c in elig.exclusion},
                observed_at=start + dt.timedelta(hours=1),
            )
            randomise_subject(
                session,
                inv,
                code,
                at=start + dt.timedelta(hours=2),
                password=spine.demo_password("investigator"),
            )
            subject = get_subject(session, inv, code)
            assert subject.day0_date is not None
            mine: list[Slot] = []
            for v in protocol.visits:
                on = subject.day0_date + dt.timedelta(days=max(v.day, 0))
                mine.extend(
                    Slot(code, subject.id, subject.site_id, v.name, v.day, on, f) for f in v.forms
                )
            by_subject.append(mine)
    engine.dispose()
    groups: list[list[Slot]] = []
    for size in sizes:
        group: list[Slot] = []
        while len(group) < size:
            group.extend(by_subject.pop(0))
        groups.append(group[:size])
    return groups


def _actors(session: Any) -> list[Any]:
    from sqlalchemy import select

    from msctrial.core.tables import User
    from msctrial.core.users import load_actor

    return [load_actor(session, u) for u in session.scalars(select(User))]


def core_rows(slot: Slot) -> list[dict[str, Any]]:
    """The form values the service stores for this form (canonical and typed, derived too)."""
    from msctrial.clinical.visits.edit_checks import check_form
    from msctrial.clinical.visits.forms import get_form

    checked = check_form(get_form(slot.form), VALUES[slot.form], today=dt.date.today())
    return [
        {
            "item": v.item,
            "number": v.number,
            "unit": v.unit,
            "text": v.text,
            "entered": v.entered,
            "entered_unit": v.entered_unit,
            "flag": v.flag,
            "derived": v.derived,
            "note": v.note,
        }
        for v in checked.values.values()
    ]


def run_core(url: str, slots: list[Slot]) -> float:
    """Plain inserts of the same rows, one transaction per form; seconds taken."""
    from sqlalchemy import insert

    from msctrial.clinical.visits.tables import FormEntry, FormValue, VisitRecord
    from msctrial.core.db import make_engine, utcnow

    engine = make_engine(url)
    rows = {s.form: core_rows(s) for s in slots}
    visits: dict[tuple[int, str], int] = {}
    started = time.perf_counter()
    for s in slots:
        with engine.begin() as conn:
            key = (s.subject_id, s.visit)
            if key not in visits:
                visits[key] = conn.execute(
                    insert(VisitRecord)
                    .values(
                        subject_id=s.subject_id,
                        site_id=s.site_id,
                        visit_name=s.visit,
                        study_day=s.study_day,
                        visit_date=s.visit_date,
                        recorded_by="bench",
                        recorded_at=utcnow(),
                    )
                    .returning(VisitRecord.id)
                ).scalar_one()
            entry_id = conn.execute(
                insert(FormEntry)
                .values(
                    visit_id=visits[key],
                    subject_id=s.subject_id,
                    site_id=s.site_id,
                    form=s.form,
                    version=1,
                    entered_by="bench",
                    entered_at=utcnow(),
                )
                .returning(FormEntry.id)
            ).scalar_one()
            conn.execute(
                insert(FormValue),
                [{**r, "entry_id": entry_id, "site_id": s.site_id} for r in rows[s.form]],
            )
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


class Server:
    """``msctrial serve --workers N`` in its own process group, as a deployment runs it.

    The server must not share this process: the benchmark's own HTTP clients would then
    compete with it for one interpreter lock, and the figures would measure the client.
    """

    def __init__(self, url: str, workers: int) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.url = url
        self.workers = workers
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        import httpx

        env = {**os.environ, "MSCTRIAL_SECRET_KEY": SECRET, "MSCTRIAL_MIGRATE_ON_START": "false"}
        cmd = [
            sys.executable,
            "-m",
            "msctrial.cli",
            "serve",
            "--db",
            self.url,
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
        ]
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"the server stopped: {self.proc.stderr.read().decode()[-2000:]}")
            try:
                if httpx.get(f"{self.base}/login", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the server did not start within 60 s")
            time.sleep(0.2)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)


def _post(client: Any, slot: Slot) -> float:
    from msctrial.clinical.visits.windows import visit_key

    path = f"/api/v1/clinical/visits/{slot.subject}/{visit_key(slot.visit)}/forms/{slot.form}"
    body = {"values": VALUES[slot.form], "visit_date": slot.visit_date.isoformat()}
    t0 = time.perf_counter()
    r = client.post(path, json=body)
    took = time.perf_counter() - t0
    if r.status_code != 201:
        raise SystemExit(f"the API refused a submission: {r.status_code} {r.text}")
    return took


def run_api(base: str, token: str, slots: list[Slot], clients: int = 1) -> list[float]:
    """Submissions through HTTP by ``clients`` concurrent clients; each request's latency."""
    import httpx

    chunks = [slots[i::clients] for i in range(clients)]

    def work(chunk: list[Slot]) -> list[float]:
        with httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60
        ) as c:
            return [_post(c, s) for s in chunk]

    with ThreadPoolExecutor(clients) as pool:
        return [t for part in pool.map(work, chunks) for t in part]


def _token(base: str) -> str:
    import httpx

    from msctrial.demo.spine import demo_password

    r = httpx.post(
        f"{base}/api/v1/tokens",
        json={"username": "coordinator", "password": demo_password("coordinator")},
    )
    r.raise_for_status()
    return r.json()["token"]


def bench(backend: str, url: str, n: int, workers: int, warmup: int = 10) -> dict[str, Any]:
    api_warm, api, core_warm, core, concurrent, profiled = prepare(
        url, [warmup, n, warmup, n, n, min(n, 100)]
    )
    with Server(url, workers) as server:
        token = _token(server.base)
        run_api(server.base, token, api_warm)
        t0 = time.perf_counter()
        run_api(server.base, token, api)
        api_s = time.perf_counter() - t0
        run_core(url, core_warm)
        core_s = run_core(url, core)
        t0 = time.perf_counter()
        latencies = sorted(run_api(server.base, token, concurrent, clients=CLIENTS))
        concurrent_s = time.perf_counter() - t0
    stages = stage_breakdown(url, profiled, VALUES, token)
    q = statistics.quantiles(latencies, n=100)
    return {
        "api_per_s": n / api_s,
        "core_per_s": n / core_s,
        "ratio": (n / api_s) / (n / core_s),
        "p50_ms": q[49] * 1000,
        "p99_ms": q[98] * 1000,
        "concurrent_per_s": n / concurrent_s,
        "concurrent_ratio": (n / concurrent_s) / (n / core_s),
        "stages": stages,
    }


def _postgres_url() -> tuple[str, Any]:
    """A fresh schema on the PostgreSQL test server; the URL and a function that drops it."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return url.render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300, help="form submissions per measurement")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="server worker processes"
    )
    args = parser.parse_args()
    # One audit key for the set-up here and the server processes, as a deployment configures it.
    os.environ.setdefault("MSCTRIAL_AUDIT_KEY", f"bench:{uuid.uuid4().hex}{uuid.uuid4().hex}")
    results = {}
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            results["sqlite"] = bench(
                "sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", args.n, args.workers
            )
    if args.backend in ("postgresql", "both"):
        url, drop = _postgres_url()
        try:
            results["postgresql"] = bench("postgresql", url, args.n, args.workers)
        finally:
            drop()
    print(
        f"form entry, N={args.n} per measurement, server with {args.workers} worker(s), "
        f"{CLIENTS} concurrent clients for latency"
    )
    print(
        f"{'backend':<11} {'API forms/s':>12} {'Core forms/s':>13} {'ratio':>7} "
        f"{'API/s 16 cl.':>13} {'ratio':>7} {'p50 ms':>8} {'p99 ms':>8}"
    )
    for name, r in results.items():
        print(
            f"{name:<11} {r['api_per_s']:>12.1f} {r['core_per_s']:>13.1f} {r['ratio']:>7.2f} "
            f"{r['concurrent_per_s']:>13.1f} {r['concurrent_ratio']:>7.2f} "
            f"{r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f}"
        )
    print("ratio: API forms/s one client at a time (then 16 clients) over Core inserts/s")
    print("targets (issue 14): ratio ≥ 0.3 on both backends; p99 < 100 ms on PostgreSQL")
    print_breakdown({name: r["stages"] for name, r in results.items()})


if __name__ == "__main__":
    main()
