"""The whole blinded statistical report at trial scale, timed against plain pandas in one run.

    python bench/analysis.py                          # 10,000 subjects
    python bench/analysis.py --subjects 2000 --db /tmp/bench2000.db

Build (not timed; kept in --db and reused when it is there): the demo's protocol (ten visits,
Screening to Day 180), sites and users, then ``simulation.bulk_trial(every_form=True)``: the
simulator's patient model, every form of every visit that has come round, with the derived
items the services compute, in bulk inserts (in batches of 5,000 subjects over sites of
their own, the simulator's per-run limit).

Measured in fresh child processes, so that a peak RSS (``ru_maxrss``) is the report's own:

- loading: the analysis package's reading of subjects and form values (the casebook's
  services) against ``pandas.read_sql`` of the same value rows;
- each endpoint: our derivation (``analysis.endpoints``, ``analysis.biomarkers``) against a
  plain pandas computation of the same thing written here, checked equal, with the ratio;
- the full blinded report as the statistician gets it (``trial_report``: load, endpoints,
  CONSORT flow, baseline and AE tables, every figure, HTML), then its PDF.

Targets (issue 10): the report under 60 s and 4 GB, each endpoint within 3× of pandas.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

BATCH = 5000


def build(db: Path, subjects: int, seed: int = 2020) -> None:
    """The bench's trial: demo spine and product, then bulk subjects with every form."""
    import numpy as np

    from msctrial.core.db import make_engine
    from msctrial.core.migrate import upgrade
    from msctrial.core.session import make_sessionmaker
    from msctrial.core.settings import load_settings
    from msctrial.demo import DemoContext
    from msctrial.demo import product as product_demo
    from msctrial.demo import spine as spine_demo
    from msctrial.simulation.bulk import bulk_trial
    from msctrial.simulation.config import SimulationConfig

    settings = load_settings(database_url=f"sqlite:///{db}")
    engine = make_engine(settings)
    upgrade(engine)
    rng = np.random.default_rng(seed)
    today = dt.date(2026, 12, 1)
    with make_sessionmaker(engine)() as session:
        ctx = DemoContext(subjects=0, seed=seed)
        spine_demo.build(session, settings, ctx)
        product_demo.build(session, settings, ctx)
        session.commit()
        for batch, start in enumerate(range(0, subjects, BATCH)):
            n = min(BATCH, subjects - start)
            sites = tuple((f"B{batch}{k}", 1.0) for k in range(5))
            config = SimulationConfig(subjects=n, enrolment_days=400, sites=sites)
            bulk_trial(session, rng, config, today=today, every_form=True)
            print(f"  built {start + n} subjects", flush=True)
    engine.dispose()


def _timed(function, *args):  # noqa: ANN001, ANN002, ANN202
    start = time.perf_counter()
    out = function(*args)
    return out, time.perf_counter() - start


def _ours_pf(dated):  # noqa: ANN001, ANN202
    """P/F change by visit as ``derive_endpoints`` makes its columns."""
    import pandas as pd

    from msctrial.analysis import endpoints

    pf = endpoints.change_from_baseline(endpoints.oxygenation(dated), "blood_gas", "pf")
    order = pf.groupby("visit")["study_day"].median().sort_values().index
    return pd.DataFrame({v: pf[pf["visit"] == v].set_index("subject")["change"] for v in order})


def measure(db: Path) -> dict:
    """Every figure of the bench, in this (fresh) process."""
    import pandas as pd
    import plain_endpoints as plain

    from msctrial.analysis import biomarkers, endpoints
    from msctrial.analysis.trial_data import form_values, randomised_subjects
    from msctrial.core.actors import Actor, Grant
    from msctrial.core.db import make_engine
    from msctrial.core.session import make_sessionmaker
    from msctrial.core.settings import load_settings

    statistician = Actor(username="bench", grants=(Grant("statistician"),))
    engine = make_engine(load_settings(database_url=f"sqlite:///{db}"))
    out: dict = {"rows": {}, "endpoints": []}
    with make_sessionmaker(engine)() as session:
        start = time.perf_counter()
        subjects = randomised_subjects(session, statistician, None)
        values = form_values(session, statistician, None)
        out["load_ours"] = time.perf_counter() - start
        start = time.perf_counter()
        connection = session.connection()  # a second connection would wait on the session's
        raw = pd.read_sql(plain.VALUES_SQL, connection)
        people = pd.read_sql(plain.SUBJECTS_SQL, connection)
        out["load_pandas"] = time.perf_counter() - start
        out["rows"] = {"subjects": len(subjects), "values": len(values), "read_sql": len(raw)}
        dated, ours_s = _timed(endpoints.with_study_day, values, subjects)
        plain_dated, plain_s = _timed(plain.study_days, raw, people)
        out["endpoints"].append(("study day of each value", ours_s, plain_s, True))
        comparisons = [
            ("28-day mortality", lambda: endpoints.mortality(dated, subjects, 28),
             lambda: plain.mortality(plain_dated, people, 28)),
            ("time to clinical improvement", lambda: endpoints.time_to_improvement(dated, subjects)[["time", "improved"]],
             lambda: plain.time_to_improvement(plain_dated, people)),
            ("ventilator-free days", lambda: endpoints.ventilator_free_days(dated, subjects),
             lambda: plain.ventilator_free_days(plain_dated, people)),
            ("WHO scale at day 14", lambda: endpoints.who_score_on(dated, subjects, 14),
             lambda: plain.who_on(plain_dated, people, 14)),
            ("P/F change by visit", lambda: _ours_pf(dated),
             lambda: plain.pf_change(plain_dated)),
        ]  # fmt: skip
        for marker in biomarkers.MARKERS:
            comparisons.append((
                f"{marker.key} {'log ratio' if marker.log_scale else 'change'} by visit",
                lambda m=marker: biomarkers.marker_columns(dated, m).drop(columns=m.baseline),
                lambda m=marker: plain.marker_change(plain_dated, m.form, m.item, m.log_scale),
            ))  # fmt: skip
        for name, ours, theirs in comparisons:
            a, ours_s = _timed(ours)
            b, plain_s = _timed(theirs)
            out["endpoints"].append((name, ours_s, plain_s, plain.same(a, b)))
    engine.dispose()
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def measure_report(db: Path) -> dict:
    """The statistician's full blinded report and its PDF, alone in this (fresh) process."""
    from msctrial.analysis.report import trial_report
    from msctrial.analysis.report_pdf import report_pdf
    from msctrial.core.actors import Actor, Grant
    from msctrial.core.db import make_engine
    from msctrial.core.session import make_sessionmaker
    from msctrial.core.settings import load_settings

    statistician = Actor(username="bench", grants=(Grant("statistician"),))
    engine = make_engine(load_settings(database_url=f"sqlite:///{db}"))
    with make_sessionmaker(engine)() as session:
        html, seconds = _timed(lambda: trial_report(session, statistician))
    engine.dispose()
    _, pdf_seconds = _timed(report_pdf, html)
    return {"report": seconds, "pdf": pdf_seconds,
            "arm_in_report": any(arm in html for arm in ("UC-MSC", "Placebo")),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}  # fmt: skip


def _child(db: Path, part: str) -> dict:
    child = subprocess.run([sys.executable, __file__, "--measure", part, "--db", str(db)],
                           capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(child.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=10_000)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--measure", choices=["endpoints", "report"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    db = args.db or Path(f"/tmp/msctrial-bench-analysis-{args.subjects}.db")
    if args.measure:
        print(json.dumps(measure(db) if args.measure == "endpoints" else measure_report(db)))
        return
    if not db.exists():
        print(f"building {args.subjects} subjects in {db} (not timed)", flush=True)
        start = time.perf_counter()
        build(db, args.subjects)
        print(f"  built in {time.perf_counter() - start:.0f} s", flush=True)
    figures = _child(db, "endpoints")
    report = _child(db, "report")
    rows = figures["rows"]
    print(f"data: {rows['subjects']} subjects, {rows['values']:,} form values")
    print(f"loading: ours {figures['load_ours']:.2f} s, pandas read_sql "
          f"{figures['load_pandas']:.2f} s, ratio {figures['load_ours'] / figures['load_pandas']:.2f}x")  # fmt: skip
    print(f"{'endpoint':38} {'ours':>8} {'pandas':>8} {'ratio':>6}  same")
    for name, ours, theirs, same in figures["endpoints"]:
        print(f"{name:38} {ours:7.2f}s {theirs:7.2f}s {ours / theirs:5.2f}x  {same}")
    print(f"(peak RSS of the endpoint comparisons, both copies of the data: "
          f"{figures['peak_rss_mb']:.0f} MB)")  # fmt: skip
    print(f"full blinded report (load, endpoints, CONSORT, tables, figures, HTML): "
          f"{report['report']:.1f} s; its PDF {report['pdf']:.1f} s; peak RSS "
          f"{report['peak_rss_mb']:.0f} MB; an arm named in it: {report['arm_in_report']}")  # fmt: skip


if __name__ == "__main__":
    main()
