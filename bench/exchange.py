"""Streamed exports of many form values against pandas reading and writing the same rows.

    python bench/exchange.py                        # 10,000 subjects × 15 visits × 30 values
    python bench/exchange.py --subjects 1000        # a quicker run
    python bench/exchange.py --backend both         # SQLite, then PostgreSQL (a fresh schema)
    python bench/exchange.py --runs xpt,xpt-memory  # only the SDTM export, streamed and before

The trial's spine (sites, users, protocol) is built by the demo; the subjects, visits, form
entries and values are bulk-inserted with SQLAlchemy Core (no services, no audit: this measures
the export, not data entry). Then, each in a process of its own so that its peak RSS is its
own: the baseline, ``pandas.read_sql`` of the same query ``export values`` streams + ``to_csv``;
``export values`` as long CSV, as long Parquet and as wide CSV; ``export sdtm`` to XPT, which
streams LB and VS in chunks; and, for the before-and-after figure, the SDTM XPT export as it
was (everything gathered, each domain handed whole to pyreadstat), with the ratio of the two.
Each backend runs its own baseline beside its exports, so its ratios compare like with like.
Issue 12's target: each streamed export within 2× the baseline, and peak RSS under 500 MB
whatever the size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
PG_URL = os.environ.get("MSCTRIAL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM starts afresh at exec; ru_maxrss is inherited)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(url: str, subjects: int, visits: int, values: int) -> int:
    """The spine by the demo, then ``subjects`` × ``visits`` × ``values`` values in bulk."""
    import numpy as np
    from sqlalchemy import insert, select

    from msctrial.clinical.subjects.tables import Subject
    from msctrial.clinical.visits.forms import get_form
    from msctrial.clinical.visits.tables import FormEntry, FormValue, VisitRecord
    from msctrial.core.db import make_engine
    from msctrial.core.migrate import upgrade
    from msctrial.core.session import make_sessionmaker
    from msctrial.core.settings import load_settings
    from msctrial.core.tables import Site
    from msctrial.demo import DemoContext
    from msctrial.demo import spine as spine_demo
    from msctrial.protocol.service import get_protocol, only_trial

    settings = load_settings(database_url=url)
    engine = make_engine(settings)
    upgrade(engine)
    with make_sessionmaker(engine)() as session:
        spine_demo.build(session, settings, DemoContext(subjects=0, seed=1))
        session.commit()
        trial = only_trial(session)
        protocol = get_protocol(session, trial.code).protocol
        sites = [(s.id, s.code) for s in session.scalars(select(Site).order_by(Site.code))]
    schedule = [(v.name, v.day) for v in protocol.visits][:visits]
    schedule += [(f"Extra {n}", 100 + n) for n in range(visits - len(schedule))]
    used = list(dict.fromkeys(f for v in protocol.visits for f in v.forms))
    items = [(f, i) for f in used for i in get_form(f).entered_items][:values]
    forms = list(dict.fromkeys(f for f, _ in items))
    rng = np.random.default_rng(12)
    numbers = rng.normal(50, 10, size=subjects * visits * values).round(2).tolist()
    start = dt.date(2025, 1, 1)
    visit_id = entry_id = value_id = n = 0
    batch = 400
    with engine.begin() as conn:
        for first in range(0, subjects, batch):
            subj, vis, ent, val = [], [], [], []
            for s in range(first, min(first + batch, subjects)):
                site_id, code = sites[s % len(sites)]
                subj.append(dict(id=s + 1, trial_id=trial.id, site_id=site_id, sequence=s + 1,
                                 subject_code=f"{code}-{s + 1:05d}", status="screening",
                                 created_by="bench", year_of_birth=1950 + s % 40, sex="F"))  # fmt: skip
                for name, day in schedule:
                    visit_id += 1
                    vis.append(dict(id=visit_id, subject_id=s + 1, site_id=site_id,
                                    visit_name=name, study_day=day, recorded_by="bench",
                                    visit_date=start + dt.timedelta(days=s % 300 + day)))  # fmt: skip
                    ids = {}
                    for form in forms:
                        entry_id += 1
                        ids[form] = entry_id
                        ent.append(dict(id=entry_id, visit_id=visit_id, subject_id=s + 1,
                                        site_id=site_id, form=form, entered_by="bench"))  # fmt: skip
                    for form, item in items:
                        value_id += 1
                        kind = item.kind.value
                        number = numbers[n] if kind == "number" else None
                        text = None if kind == "number" else (
                            "true" if kind == "boolean" else item.choices[0] if item.choices else "x"
                        )  # fmt: skip
                        n += 1
                        val.append(dict(id=value_id, entry_id=ids[form], site_id=site_id,
                                        item=item.name, number=number, unit=item.unit,
                                        text=text, entered=number, entered_unit=item.unit,
                                        derived=False))  # fmt: skip
            for table, rows in ((Subject, subj), (VisitRecord, vis), (FormEntry, ent), (FormValue, val)):  # fmt: skip
                conn.execute(insert(table), rows)
    engine.dispose()
    return value_id


def _baseline(url: str, out: str, queue: Any) -> None:
    import pandas as pd

    from msctrial.core.db import make_engine
    from msctrial.exchange.values import value_statement

    engine = make_engine(url)
    start = time.perf_counter()
    stmt = value_statement(None)  # the very query ``export values`` streams
    with engine.connect() as conn:
        frame = pd.read_sql(stmt, conn)
    frame.to_csv(out, index=False)
    queue.put((time.perf_counter() - start, len(frame), _peak_rss_mb()))


def _export(url: str, out: str, kind: str, queue: Any) -> None:
    from msctrial.core.actors import Actor, Grant
    from msctrial.core.db import make_engine
    from msctrial.core.session import make_sessionmaker
    from msctrial.exchange import export_sdtm, export_values

    engine = make_engine(url)
    monitor = Actor(username="bench:monitor", grants=(Grant("monitor"),))
    start = time.perf_counter()
    with make_sessionmaker(engine)() as session:
        if kind == "xpt":
            result = export_sdtm(session, monitor, Path(out))
            rows = result.rows
        elif kind == "xpt-memory":
            rows = _sdtm_in_memory(session, monitor, Path(out))
        else:
            fmt, layout = kind.split("-")
            rows = export_values(session, monitor, Path(out), file_format=fmt, layout=layout).rows
    queue.put((time.perf_counter() - start, rows, _peak_rss_mb()))


def _sdtm_in_memory(session: Any, actor: Any, out: Path) -> int:
    """The SDTM XPT export as it was before it streamed: every record and value gathered, each
    domain a DataFrame handed whole to ``pyreadstat.write_xport`` (the "before" figure)."""
    import pyreadstat

    from msctrial.exchange.sdtm import domains
    from msctrial.exchange.source import gather
    from msctrial.exchange.xpt import check_limits, frame

    tables = domains(gather(session, actor))
    out.mkdir(parents=True, exist_ok=True)
    for domain in tables:
        check_limits(domain)
        pyreadstat.write_xport(frame(domain), str(out / f"{domain.name.lower()}.xpt"),
                               table_name=domain.name, file_format_version=5,
                               column_labels=[v.label for v in domain.variables])  # fmt: skip
    return sum(len(d.rows) for d in tables)


def run(target: Any, args: tuple[Any, ...], limit: float) -> tuple[float, int, float] | None:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    proc.join(limit)
    if proc.is_alive():
        proc.terminate()
        proc.join()
        return None
    return queue.get() if proc.exitcode == 0 else None


RUNS = {  # kind: (label, file suffix, "" for a folder)
    "csv-long": ("long CSV", ".csv"),
    "parquet-long": ("long Parquet", ".parquet"),
    "csv-wide": ("wide CSV", ".csv"),
    "xpt": ("SDTM XPT, streamed", ""),
    "xpt-memory": ("SDTM XPT in memory (before)", ""),
}


def _pg_schema(base: str) -> tuple[str, Any]:
    """A fresh schema on the PostgreSQL at ``base``: its URL and how to drop it."""
    import uuid

    from sqlalchemy import create_engine, text

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return f"{base}?options=-csearch_path%3D{schema}", drop


def bench_backend(backend: str, opts: argparse.Namespace, tmp: str) -> dict[str, tuple]:
    """Build the trial on ``backend``, then the baseline and each export; print and return."""
    drop = None
    if backend == "postgresql":
        url, drop = _pg_schema(opts.pg)
    else:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
    try:
        start = time.perf_counter()
        count = build(url, opts.subjects, opts.visits, opts.values)
        print(f"\n[{backend}] built {opts.subjects:,} subjects × {opts.visits} visits × "
              f"{opts.values} values = {count:,} values in {time.perf_counter() - start:.0f} s")  # fmt: skip
        base = run(_baseline, (url, f"{tmp}/baseline.csv"), 3600)
        assert base is not None, "the baseline failed"
        results: dict[str, tuple] = {"baseline": base}
        print(f"{'':<30}{'seconds':>9}{'rows':>12}{'× baseline':>12}{'peak RSS MB':>13}")
        print(f"{'pandas read_sql + to_csv':<30}{base[0]:>9.1f}{base[1]:>12,}{1:>12.2f}{base[2]:>13,.0f}")  # fmt: skip
        for kind in opts.runs:
            label, suffix = RUNS[kind]
            out = f"{tmp}/{kind}{suffix}" if suffix else f"{tmp}/{kind}"
            got = run(_export, (url, out, kind), opts.limit)
            if got is None:
                print(f"{label:<30}  did not finish within {opts.limit:.0f} s (or failed)")
                continue
            results[kind] = got
            print(f"{label:<30}{got[0]:>9.1f}{got[1]:>12,}{got[0] / base[0]:>12.2f}{got[2]:>13,.0f}")  # fmt: skip
        if "xpt" in results and "xpt-memory" in results:
            new, old = results["xpt"], results["xpt-memory"]
            print(f"SDTM XPT streamed / in memory: peak RSS {new[2] / old[2]:.3f}×, "
                  f"time {new[0] / old[0]:.2f}×")  # fmt: skip
        return results
    finally:
        if drop is not None:
            drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=10_000)
    parser.add_argument("--visits", type=int, default=15)
    parser.add_argument("--values", type=int, default=30)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--pg", default=PG_URL, help="a PostgreSQL URL (a schema is made in it)")
    parser.add_argument("--runs", default=",".join(RUNS),
                        help=f"which exports, comma-separated (of {', '.join(RUNS)})")  # fmt: skip
    parser.add_argument("--limit", type=float, default=3600, help="seconds for each export")
    opts = parser.parse_args()
    opts.runs = [r for r in opts.runs.split(",") if r]
    unknown = [r for r in opts.runs if r not in RUNS]
    if unknown:
        parser.error(f"--runs: {', '.join(unknown)} not known; choose from {', '.join(RUNS)}")
    backends = ("sqlite", "postgresql") if opts.backend == "both" else (opts.backend,)
    for backend in backends:
        with tempfile.TemporaryDirectory() as tmp:
            bench_backend(backend, opts, tmp)
    print("target: each streamed export ≤ 2.00 × baseline, peak RSS < 500 MB")


if __name__ == "__main__":
    main()
