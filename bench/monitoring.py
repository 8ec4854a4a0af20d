"""Monitoring at scale: KRIs, risk scores, the plan and the scorecard on bulk-generated rows,
against loading the same rows into pandas in the same run.

    python bench/monitoring.py --quick      # 20 sites, 2,000 subjects
    python bench/monitoring.py              # 200 sites, 20,000 subjects (issue 11's size)

The rows are written in bulk with SQLAlchemy Core (not through the services, which would take
hours): per subject a randomisation day, three adverse events (one in ten serious), one data
query, six visits with one form of five values each; one subject in twenty withdraws and one in
thirty dies. The baseline reads the same tables the KRIs read with ``pandas.read_sql``. Prints
both times, the ratio and the peak RSS. Target: within 3× the plain load, under 2 GB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

VISITS = (("Day 0", 0), ("Day 3", 3), ("Day 6", 6), ("Day 10", 10), ("Day 14", 14), ("Day 28", 28))
ITEMS = ("pao2", "fio2", "paco2", "ph", "peep")


def fill(engine, sites: int, subjects: int, today: dt.date) -> None:  # noqa: ANN001
    """Bulk rows for ``sites`` sites and ``subjects`` randomised subjects."""
    import numpy as np
    from sqlalchemy import insert, select

    from msctrial.clinical.data_queries.tables import DataQuery
    from msctrial.clinical.safety.tables import AdverseEvent
    from msctrial.clinical.subjects.tables import StudyExit, Subject
    from msctrial.clinical.visits.tables import FormEntry, FormValue, VisitRecord
    from msctrial.core.tables import Site
    from msctrial.protocol.tables import Trial

    rng = np.random.default_rng(11)
    at = dt.datetime.combine(today, dt.time(9), tzinfo=dt.UTC)
    with engine.begin() as conn:
        trial_id = conn.execute(select(Trial.id)).scalar_one()
        conn.execute(
            insert(Site),
            [
                {"code": f"X{i:03d}", "name": f"Bench site {i}", "timezone": "UTC"}
                for i in range(sites)
            ],
        )
        site_ids = list(conn.execute(select(Site.id).where(Site.code.like("X%"))).scalars())
        subject_rows, seq = [], {}
        for _ in range(subjects):
            site = site_ids[int(rng.integers(len(site_ids)))]
            seq[site] = seq.get(site, 0) + 1
            subject_rows.append(
                {
                    "trial_id": trial_id,
                    "site_id": site,
                    "sequence": seq[site],
                    "subject_code": f"X{site:03d}-{seq[site]:03d}",
                    "status": "randomised",
                    "eligible": True,
                    "day0_date": today - dt.timedelta(days=int(rng.integers(30, 120))),
                    "created_by": "bench",
                    "created_at": at,
                }
            )
        conn.execute(insert(Subject), subject_rows)
        subjects_in = conn.execute(select(Subject.id, Subject.site_id, Subject.day0_date)).all()
        exits, aes, queries, visits = [], [], [], []
        for sid, site, day0 in subjects_in:
            if rng.random() < 1 / 20 or rng.random() < 1 / 30:
                kind = "withdrawn" if rng.random() < 0.6 else "died"
                exits.append(
                    {
                        "subject_id": sid,
                        "site_id": site,
                        "kind": kind,
                        "exit_date": day0 + dt.timedelta(days=20),
                        "reason": "bench",
                        "recorded_by": "bench",
                        "recorded_at": at,
                    }
                )
            for number in range(1, 4):
                aes.append(
                    {
                        "subject_id": sid,
                        "site_id": site,
                        "number": number,
                        "term": "fever",
                        "onset_date": day0 + dt.timedelta(days=number),
                        "grade": 1,
                        "serious": bool(rng.random() < 0.1),
                        "seriousness": [],
                        "relationship_product": "unlikely",
                        "relationship_infusion": "unlikely",
                        "expectedness": "expected",
                        "susar": False,
                        "action_taken": "none",
                        "outcome": "recovered",
                        "awareness_at": at,
                        "reported_by": "bench",
                        "reported_at": at,
                    }
                )
            queries.append(
                {
                    "subject_id": sid,
                    "site_id": site,
                    "origin": "monitor",
                    "text": "please check",
                    "status": "open",
                    "raised_by": "bench",
                    "raised_at": at - dt.timedelta(days=int(rng.integers(0, 60))),
                }
            )
            for name, day in VISITS:
                visits.append(
                    {
                        "subject_id": sid,
                        "site_id": site,
                        "visit_name": name,
                        "study_day": day,
                        "visit_date": day0 + dt.timedelta(days=day),
                        "recorded_by": "bench",
                        "recorded_at": at,
                    }
                )
        conn.execute(insert(StudyExit), exits)
        conn.execute(insert(AdverseEvent), aes)
        conn.execute(insert(DataQuery), queries)
        conn.execute(insert(VisitRecord), visits)
        visit_rows = conn.execute(
            select(
                VisitRecord.id, VisitRecord.subject_id, VisitRecord.site_id, VisitRecord.visit_date
            )
        ).all()
        entries = [
            {
                "visit_id": vid,
                "subject_id": sid,
                "site_id": site,
                "form": "blood_gas",
                "version": 1,
                "entered_by": "bench",
                "entered_at": dt.datetime.combine(
                    vdate + dt.timedelta(days=int(rng.integers(0, 14))), dt.time(12), tzinfo=dt.UTC
                ),
            }
            for vid, sid, site, vdate in visit_rows
        ]
        conn.execute(insert(FormEntry), entries)
        entry_rows = conn.execute(select(FormEntry.id, FormEntry.site_id)).all()
        conn.execute(
            insert(FormValue),
            [
                {"entry_id": eid, "site_id": site, "item": item, "number": 1.0, "derived": False}
                for eid, site in entry_rows
                for item in ITEMS
            ],
        )


def plain_load(engine) -> int:  # noqa: ANN001
    """The same tables read into pandas: the floor any KRI computation stands on."""
    import pandas as pd

    rows = 0
    with engine.connect() as conn:
        for sql in (
            "select id, site_id, status, day0_date, eligible from subject",
            "select subject_id, kind, exit_date from study_exit",
            "select subject_id, number, serious, infusion_id from adverse_event",
            "select id, subject_id, site_id, raised_at, answered_at, closed_at from data_query",
            "select e.site_id, e.subject_id, e.form, e.entered_at, v.visit_name, v.visit_date "
            "from form_entry e join visit_record v on v.id = e.visit_id",
            "select v.id, v.site_id, v.item, v.number, e.subject_id, e.form from form_value v "
            "join form_entry e on e.id = v.entry_id",
            # What PD, IPD, LB and BLKD read besides (empty in the bulk rows but for the visits).
            "select subject_id, visit_name, study_day, visit_date, not_done_reason "
            "from visit_record",
            "select subject_id, consented_at from consent",
            "select subject_id, observed_at from screening",
            "select subject_id, site_id, kind, description from protocol_deviation",
            "select subject_id, site_id, administration_no from dispensing_refusal",
            "select subject_id, site_id, passed from bedside_check",
        ):
            rows += len(pd.read_sql(sql, conn))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 sites, 2,000 subjects")
    parser.add_argument("--sites", type=int, default=None)
    parser.add_argument("--subjects", type=int, default=None)
    args = parser.parse_args()
    sites = args.sites or (20 if args.quick else 200)
    subjects = args.subjects or (2_000 if args.quick else 20_000)

    from msctrial.core.actors import Actor, Grant
    from msctrial.core.db import make_engine
    from msctrial.core.session import create_all, make_sessionmaker
    from msctrial.core.settings import Settings
    from msctrial.demo import DemoContext
    from msctrial.demo import spine as spine_demo
    from msctrial.monitoring.service import key_risk_indicators, monitoring_plan, trial_scorecard

    today = dt.date(2026, 11, 30)
    now = dt.datetime.combine(today, dt.time(18), tzinfo=dt.UTC)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        create_all(engine)
        settings = Settings(database_url=url, secret_key="bench-" * 8, migrate_on_start=False)
        with make_sessionmaker(engine)() as session:
            spine_demo.build(session, settings, DemoContext(subjects=0, seed=1))
            session.commit()
        start = time.perf_counter()
        fill(engine, sites, subjects, today)
        print(f"filled {sites} sites, {subjects} subjects in {time.perf_counter() - start:.1f} s")

        start = time.perf_counter()
        loaded = plain_load(engine)
        baseline = time.perf_counter() - start

        monitor = Actor("bench", grants=(Grant("monitor"),))
        timings = {}
        with make_sessionmaker(engine)() as session:
            start = time.perf_counter()
            report = key_risk_indicators(session, monitor, now=now)
            timings["KRIs and risk scores"] = time.perf_counter() - start
            start = time.perf_counter()
            plans = monitoring_plan(session, monitor, now=now)
            timings["monitoring plan"] = time.perf_counter() - start
            start = time.perf_counter()
            card = trial_scorecard(session, monitor, settings, now=now)
            timings["scorecard"] = time.perf_counter() - start
        engine.dispose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"pandas load of the same tables: {baseline:.2f} s ({loaded:,} rows)")
    print(
        f"({len(report.rows):,} KRI × site rows, {len(plans)} site plans, "
        f"{len(card.parts)} scorecard parts)"
    )
    for what, seconds in timings.items():
        print(f"{what}: {seconds:.2f} s, {seconds / baseline:.2f}× the plain load (target ≤ 3×)")
    print(f"peak RSS: {peak_mb:,.0f} MB (target < 2,048 MB)")


if __name__ == "__main__":
    main()
