"""Every page of the demo trial at trial scale, against a plain SELECT of the rows it shows.

    python bench/pages.py                  # 2,000 subjects (issue 15's size), 5 views a page
    python bench/pages.py --subjects 300 --views 3

The demo trial (protocol, sites, users, lots, the registry survey) is built on a SQLite file,
then ``simulation.bulk_trial`` adds the subjects with their visits, forms, adverse events and
queries. Each page is fetched in-process through the app (Starlette's TestClient, logged in as
the role that works there) ``--views`` times after one warm-up view; beside it, in the same run,
a plain ``SELECT`` of the table the page lists (every row, every column, through SQLAlchemy
Core). It prints each page's first view (which fills the page cache of ``web.page_cache``),
its median, its baseline's median, the ratio and the page size.
Target (issue 15): every page's median under 300 ms on this machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

SECRET = "bench-pages-secret-key-that-is-long-enough-0123"
TARGET_MS = 300.0

# (path, user who works there, table the page lists). ``{subject}``, ``{lot}``, ``{trial}``,
# ``{registry_trial}`` and ``{ae}`` are filled from the data.
PAGES: list[tuple[str, str, str]] = [
    ("/", "coordinator", "subject"),
    ("/protocol", "investigator", "protocol_version"),
    ("/product", "qc", "lot"),
    ("/product/lots", "qc", "lot"),
    ("/product/lots/{lot}", "qc", "product_unit"),
    ("/product/specifications", "qc", "product_specification"),
    ("/product/recalls", "qc", "recall_follow_up"),
    ("/product/trace", "qc", "product_unit"),
    ("/clinical", "coordinator", "subject"),
    ("/clinical/pharmacy", "pharmacist", "planned_administration"),
    ("/clinical/unblindings", "dsmb", "emergency_unblinding"),
    ("/clinical/subjects/{subject}", "coordinator", "visit_record"),
    ("/casebook/{subject}", "coordinator", "form_entry"),
    ("/visits", "monitor", "visit_record"),
    ("/queries", "monitor", "data_query"),
    ("/adverse-events", "monitor", "adverse_event"),
    ("/safety/susars", "safety", "adverse_event"),
    ("/monitoring", "monitor", "form_entry"),
    ("/monitoring/funnel", "monitor", "adverse_event"),
    ("/monitoring/records", "monitor", "subject"),
    ("/registry", "statistician", "registry_study"),
    ("/registry/{registry_trial}", "statistician", "registry_study"),
    ("/audit", "monitor", "audit_entry"),
    ("/exports", "statistician", "export_record"),
]


def build(url: str, subjects: int) -> None:
    """The demo spine without its simulated patients, then ``subjects`` patients in bulk."""
    import numpy as np

    from msctrial.core.db import make_engine
    from msctrial.core.session import make_sessionmaker
    from msctrial.core.settings import Settings
    from msctrial.demo import build_demo
    from msctrial.simulation.bulk import bulk_trial
    from msctrial.simulation.config import SimulationConfig

    settings = Settings(database_url=url, secret_key=SECRET)
    build_demo(settings, subjects=0)
    engine = make_engine(settings)
    with make_sessionmaker(engine, settings.keyring())() as session:
        bulk_trial(
            session,
            np.random.default_rng(2020),
            SimulationConfig(subjects=subjects, enrolment_days=120),
            today=dt.date.today(),
        )
    engine.dispose()


def _fill(url: str) -> dict[str, str]:
    """Values for the pages' path parameters: the first subject, lot, trial and AE."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:

        def first(sql: str) -> str:
            return str(conn.execute(text(sql)).scalar() or "none")

        values = {
            "subject": first(
                "SELECT s.subject_code FROM subject s JOIN site ON site.id = s.site_id WHERE site.code = 'WUH' ORDER BY s.id LIMIT 1"
            ),
            "lot": first("SELECT code FROM lot ORDER BY id LIMIT 1"),
            "registry_trial": first(
                "SELECT trial_id FROM registry_study ORDER BY trial_id LIMIT 1"
            ),
        }
    engine.dispose()
    return values


def _baseline(url: str, table: str, views: int) -> float:
    """Median ms of a plain SELECT of every row and column of ``table``."""
    from sqlalchemy import MetaData, Table, create_engine, select

    engine = create_engine(url)
    found = Table(table, MetaData(), autoload_with=engine)
    times = []
    with engine.connect() as conn:
        conn.execute(select(found)).all()
        for _ in range(views):
            t0 = time.perf_counter()
            conn.execute(select(found)).all()
            times.append(time.perf_counter() - t0)
    engine.dispose()
    return statistics.median(times) * 1000


def measure(url: str, views: int) -> list[dict[str, Any]]:
    import re

    from fastapi.testclient import TestClient

    from msctrial.core.settings import Settings
    from msctrial.demo.spine import demo_password
    from msctrial.web.app import create_app

    settings = Settings(
        database_url=url, secret_key=SECRET, migrate_on_start=False, cookie_secure=False
    )
    app = create_app(settings)
    values = _fill(url)
    clients: dict[str, TestClient] = {}
    rows = []
    for template, user, table in PAGES:
        if user not in clients:
            client = TestClient(app, follow_redirects=False)
            form = client.get("/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
            assert token, "the login page has no CSRF token"
            done = client.post(
                "/login",
                data={
                    "username": user,
                    "password": demo_password(user),
                    "csrf_token": token.group(1),
                },
            )
            assert done.status_code == 303, f"{user} could not log in"
            clients[user] = client
        path = template.format(**values)
        client = clients[user]
        t0 = time.perf_counter()
        client.get(path)
        first_ms = (time.perf_counter() - t0) * 1000
        times = []
        for _ in range(views):
            t0 = time.perf_counter()
            response = client.get(path)
            times.append(time.perf_counter() - t0)
        rows.append(
            {
                "page": template,
                "user": user,
                "status": response.status_code,
                "first_ms": first_ms,
                "median_ms": statistics.median(times) * 1000,
                "baseline_ms": _baseline(url, table, views),
                "table": table,
                "kb": len(response.content) / 1024,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subjects", type=int, default=2000)
    parser.add_argument("--views", type=int, default=5)
    parser.add_argument(
        "--db", type=Path, help="keep the built database here and reuse it on the next run"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "pages.db"
        url = f"sqlite:///{path}"
        t0 = time.perf_counter()
        if not path.exists():
            build(url, args.subjects)
        print(
            f"built the demo trial with {args.subjects:,} subjects in {time.perf_counter() - t0:.0f} s"
        )
        rows = measure(url, args.views)
    print(
        f"{'page':<34} {'user':<12} {'status':>6} {'first ms':>9} {'median ms':>10} {'SELECT ms':>10} "
        f"{'ratio':>7} {'kB':>7}  table"
    )
    for r in rows:
        ratio = r["median_ms"] / r["baseline_ms"] if r["baseline_ms"] else float("inf")
        flag = "" if r["median_ms"] < TARGET_MS else "  over target"
        print(
            f"{r['page']:<34} {r['user']:<12} {r['status']:>6} {r['first_ms']:>9.0f} "
            f"{r['median_ms']:>10.1f} "
            f"{r['baseline_ms']:>10.2f} {ratio:>7.0f} {r['kb']:>7.0f}  {r['table']}{flag}"
        )
    over = [r["page"] for r in rows if r["median_ms"] >= TARGET_MS]
    print(f"target: every page's median < {TARGET_MS:.0f} ms; over it: {', '.join(over) or 'none'}")


if __name__ == "__main__":
    main()
