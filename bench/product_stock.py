"""The pharmacy's stock query: ``available_units`` (released, unexpired, never issued units of
one kind) against a plain select of the released lots' units, in the same run.

    python bench/product_stock.py --quick     # 20 lots × 100 units, a third issued
    python bench/product_stock.py             # 100 lots × 200 units (20,000 bags)

Both queries run on the same SQLite file after a warm-up; the best of 5 is reported. Target: the
stock query within 3× the plain select (ratio ≤ 3), so the dispensing page stays instant.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))


def build(url: str, lots: int, units: int) -> None:
    from sqlalchemy import select

    from msctrial.core import audit
    from msctrial.core.actors import Actor
    from msctrial.core.db import make_engine
    from msctrial.core.session import create_all, make_sessionmaker
    from msctrial.core.sites import add_site
    from msctrial.product import service
    from msctrial.product.model import LotSheet
    from msctrial.product.tables import Lot, Unit

    engine = make_engine(url)
    create_all(engine)
    system = Actor.system_actor("bench")
    now = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)
    rng = random.Random(1)
    with make_sessionmaker(engine)() as session:
        site = add_site(session, system, "WUH", "Bench hospital")
        for n in range(lots):
            cells = n % 2 == 0
            product = (
                {
                    "code": "UC-MSC",
                    "name": "UC-MSC",
                    "kind": "cells",
                    "tissue_source": "umbilical_cord",
                    "donor_type": "allogeneic",
                    "shelf_life_days": 365,
                }
                if cells
                else {
                    "code": "PLACEBO",
                    "name": "Placebo",
                    "kind": "placebo",
                    "shelf_life_days": 365,
                }
            )
            sheet = LotSheet.model_validate(
                {
                    "lot": f"L{n:04d}",
                    "product": product,
                    "specification": "msc-default@1.0" if cells else "placebo-saline-albumin@1.0",
                    "process_version": "1",
                    "donor_code": "D1" if cells else None,
                    "passage": 4 if cells else None,
                    "manufactured_on": "2026-10-01",
                    "storage_location": "tank",
                    "units": {
                        "count": units,
                        "cells_per_unit": 1e8 if cells else None,
                        "volume_ml": 50,
                    },
                }
            )
            service.register_lot(session, system, sheet, now=now, random_bytes=rng.randbytes)
        audit.attach(session, system)
        with audit.because(session, "bench: released without inspection", action="release"):
            for lot in session.scalars(select(Lot)):
                lot.status = "released"
        session.commit()
        codes = list(session.scalars(select(Unit.code).join(Lot).where(Lot.code.like("L%"))))
        for i, code in enumerate(codes[::3]):
            kind = session.scalar(select(Unit).where(Unit.code == code)).lot.product.kind
            service.issue_units(
                session,
                system,
                [code],
                kind=kind,
                subject_code=f"WUH-{i:05d}",
                site_id=site.id,
                administration_no=1,
                now=now,
            )
        session.commit()
    engine.dispose()


def best_of(fn, repeat: int = 5) -> float:  # noqa: ANN001
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    lots, units = (20, 100) if args.quick else (100, 200)
    from sqlalchemy import select

    from msctrial.core.actors import Actor
    from msctrial.core.db import make_engine
    from msctrial.core.session import make_sessionmaker
    from msctrial.product.inventory import available_units
    from msctrial.product.tables import Lot, Unit

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        t0 = time.perf_counter()
        build(url, lots, units)
        built = time.perf_counter() - t0
        engine = make_engine(url)
        now = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)
        with make_sessionmaker(engine)() as session:
            system = Actor.system_actor("bench")
            found = len(available_units(session, system, kind="cells", now=now))
            stock = best_of(lambda: available_units(session, system, kind="cells", now=now))
            baseline = best_of(
                lambda: list(
                    session.execute(
                        select(Unit.code, Lot.code).join(Lot).where(Lot.status == "released")
                    )
                )
            )
        engine.dispose()
    print(f"{lots} lots × {units} units built in {built:.1f} s; {found} cell units available")
    print(
        f"available_units: {stock * 1000:.1f} ms; plain select of released units: {baseline * 1000:.1f} ms"
    )
    print(f"ratio {stock / baseline:.2f} (target ≤ 3)")


if __name__ == "__main__":
    main()
