"""200 concurrent randomisations on PostgreSQL, through the service and through the HTTP API.

No slot is handed out twice, none is skipped (each stratum's used slots are its first n
positions), every completed block holds the arms in the protocol's ratio, and the audit chain
verifies afterwards.
"""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import select

from msctrial.clinical.randomisation.blocks import balanced
from msctrial.clinical.randomisation.service import randomise_subject, set_up_randomisation
from msctrial.clinical.randomisation.tables import Allocation, RandomisationSlot
from msctrial.core import audit
from msctrial.core.users import create_token, get_user
from msctrial.demo.spine import demo_password
from tests.clinical.conftest import CRITICAL, SEVERE, enrol

N = 200
pytestmark = pytest.mark.postgres


@pytest.fixture
def bare_engine(pg_engine):  # noqa: ANN001, ANN201
    """PostgreSQL only: the property under test is its row locking (SQLite serialises)."""
    return pg_engine


@pytest.fixture
def pg_world(session, factory, settings, trial):  # noqa: ANN001, ANN201
    """The trial with 200 consented, eligible subjects at one site in two strata."""
    set_up_randomisation(
        session, trial.actor("admin"), seed="concurrency-seed-000001", per_stratum=N
    )
    inv = trial.actor("investigator")
    codes = [enrol(session, inv, obs=SEVERE if i % 2 else CRITICAL) for i in range(N)]
    session.close()
    return factory, settings, trial, codes


def check_list(factory) -> None:  # noqa: ANN001
    with factory() as session:
        slots = session.scalars(select(RandomisationSlot).order_by(RandomisationSlot.position))
        by_stratum: dict[str, list[RandomisationSlot]] = defaultdict(list)
        for slot in slots:
            by_stratum[slot.stratum].append(slot)
        used_total = 0
        for stratum, rows in by_stratum.items():
            used = [s.position for s in rows if s.used_at is not None]
            assert used == list(range(1, len(used) + 1)), f"{stratum}: a slot was skipped"
            used_total += len(used)
            blocks: dict[int, list[RandomisationSlot]] = defaultdict(list)
            for s in rows:
                if s.used_at is not None:
                    blocks[s.block_no].append(s)
            for block in blocks.values():
                if len(block) == block[0].block_size:
                    assert balanced([s.arm for s in block], {"UC-MSC": 1, "Placebo": 1})
        allocations = session.scalars(select(Allocation)).all()
        assert used_total == len(allocations) == N
        assert len({a.slot_id for a in allocations}) == N
        assert len({a.subject_id for a in allocations}) == N
        assert audit.verify_chain(session).ok


def test_200_concurrent_randomisations_through_the_service(pg_world):
    factory, _settings, world, codes = pg_world
    actor = world.actor("investigator")
    start = threading.Barrier(40)

    def one(code: str) -> str:
        if code in codes[:40]:
            start.wait()  # the first wave starts together
        with factory() as session:
            return randomise_subject(
                session, actor, code, password=demo_password("investigator")
            ).randomisation_no

    with ThreadPoolExecutor(max_workers=40) as pool:
        numbers = list(pool.map(one, codes))
    assert len(set(numbers)) == N
    check_list(factory)


def test_200_concurrent_randomisations_through_the_http_api(pg_world, engine):
    import uvicorn

    from msctrial.web.app import create_app
    from tests.e2e.conftest import _free_port

    factory, settings, world, codes = pg_world
    with factory() as session:
        user = get_user(session, "investigator")
        token = create_token(session, world.actor("admin"), user, "concurrency test")
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, engine), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            threading.Event().wait(0.05)

        async def all_at_once() -> list[httpx.Response]:
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}",
                headers={"Authorization": f"Bearer {token}"},
                timeout=120,
                limits=httpx.Limits(max_connections=N),
            ) as client:
                return await asyncio.gather(
                    *(
                        client.post(
                            f"/api/v1/clinical/subjects/{c}/randomise",
                            json={"password": demo_password("investigator")},
                        )
                        for c in codes
                    )
                )

        # On a thread of its own: a browser test earlier in this worker may leave an event loop
        # running on this one, where asyncio.run refuses to start another.
        with ThreadPoolExecutor(1) as pool:
            responses = pool.submit(asyncio.run, all_at_once()).result()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert [r.status_code for r in responses] == [200] * N, responses[0].text
    bodies = [r.json() for r in responses]
    assert all("arm" not in b for b in bodies)
    assert len({b["randomisation_no"] for b in bodies}) == N
    check_list(factory)
