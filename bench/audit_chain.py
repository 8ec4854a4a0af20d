"""The audit trail's cost: audited writes and chain verification, each against a baseline that
does the same database work without the trail, in the same run.

    python bench/audit_chain.py --quick     # 500 writes, a chain of 20,000 entries
    python bench/audit_chain.py             # 2,000 writes, a chain of 200,000 entries
    python bench/audit_chain.py --pg URL    # the same on PostgreSQL (an empty database)

Writes: ``add_site`` (one transaction each: permission check, insert, audit entry, head update)
against a plain ORM insert of the same row with the audit hooks off, one commit each.
Verification: ``verify_chain`` (stream every entry, recompute each HMAC-SHA256 link) against a plain
streamed read of the same rows. Best of 3 after a warm-up. Targets: an audited write within 5×
a plain one (it runs four statements to the plain write's one: the duplicate check, the locked
read of the chain's head, the entry, the head's update); verification within 3× a plain read.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def best(fn, repeat: int = 3) -> float:  # noqa: ANN001
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def fill_chain(engine, entries: int) -> None:  # noqa: ANN001
    """A chain of ``entries`` keyed links (HMAC-SHA256), written in bulk as the session does."""
    from sqlalchemy import insert, update

    from msctrial.core.audit import GENESIS, entry_hash
    from msctrial.core.audit_keys import Keyring
    from msctrial.core.tables import AuditEntry, AuditHead

    key_id, secret = Keyring.from_env().signing()
    prev, at, rows = GENESIS, dt.datetime(2026, 11, 25, tzinfo=dt.UTC), []
    with engine.begin() as conn:
        for seq in range(1, entries + 1):
            row = {
                "seq": seq,
                "at": at + dt.timedelta(seconds=seq),
                "actor": "investigator",
                "action": "update",
                "entity": "visit_value",
                "entity_id": str(seq),
                "changes": {"value": [seq - 1, seq], "unit": [None, "mmHg"]},
                "sealed_changes": None,
                "reason": "transcription error" if seq % 7 == 0 else None,
                "site_id": 1 + seq % 3,
                "prev_hash": prev,
                "key_id": key_id,
            }
            prev = entry_hash(row, secret)
            rows.append(row)
            if len(rows) == 5000:
                conn.execute(insert(AuditEntry.__table__), rows)
                rows = []
        if rows:
            conn.execute(insert(AuditEntry.__table__), rows)
        conn.execute(update(AuditHead.__table__).values(last_seq=entries, last_hash=prev))


def run(url: str, writes: int, entries: int) -> None:
    from sqlalchemy import select, text

    from msctrial.core import audit
    from msctrial.core.actors import Actor
    from msctrial.core.db import make_engine
    from msctrial.core.session import TrialSession, create_all, make_sessionmaker
    from msctrial.core.sites import add_site
    from msctrial.core.tables import AuditEntry, Site

    engine = make_engine(url)
    create_all(engine)
    factory = make_sessionmaker(engine)
    system = Actor.system_actor("bench")
    counter = iter(range(10**9))

    def audited() -> None:
        for _ in range(writes):
            with factory() as s:
                add_site(s, system, f"A{next(counter)}", "bench site")

    def plain() -> None:
        # The same row and commit with the audit hooks removed from the session class.
        from sqlalchemy import event

        event.remove(TrialSession, "before_flush", audit._before_flush)
        event.remove(TrialSession, "after_flush", audit._after_flush)
        try:
            for _ in range(writes):
                with factory() as s:
                    s.add(Site(code=f"P{next(counter)}", name="bench site"))
                    s.commit()
        finally:
            audit.install(TrialSession)

    audited(), plain()  # warm-up
    t_audited, t_plain = best(audited), best(plain)
    print(
        f"writes     audited {writes / t_audited:8.0f}/s  plain {writes / t_plain:8.0f}/s  "
        f"ratio {t_audited / t_plain:.2f}"
    )

    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_entry"))
    fill_chain(engine, entries)
    cols = list(AuditEntry.__table__.columns)

    def verify() -> None:
        with factory() as s:
            assert audit.verify_chain(s).ok

    def read() -> None:
        with factory() as s:
            for _ in s.execute(
                select(*cols).order_by(AuditEntry.seq).execution_options(yield_per=2000)
            ):
                pass

    verify(), read()
    t_verify, t_read = best(verify), best(read)
    print(
        f"verify     {entries / t_verify:8.0f} entries/s  plain read {entries / t_read:8.0f}/s  "
        f"ratio {t_verify / t_read:.2f}  ({entries} entries in {t_verify:.2f} s)"
    )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--pg", metavar="URL", help="an empty PostgreSQL database")
    args = parser.parse_args()
    writes, entries = (500, 20_000) if args.quick else (2_000, 200_000)
    if args.pg:
        print(f"PostgreSQL {args.pg}")
        run(args.pg, writes, entries)
        return
    with tempfile.TemporaryDirectory() as tmp:
        print("SQLite (WAL) in a temporary file")
        run(f"sqlite:///{Path(tmp) / 'bench.db'}", writes, entries)


if __name__ == "__main__":
    main()
