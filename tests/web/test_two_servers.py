"""Two ``msctrial serve`` processes on one PostgreSQL database behave as one server (issue 14).

Each server keeps no state of its own that matters: randomisation slots, login attempts and
sessions live in the database, so a hospital can run a server per building behind one name.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from msctrial.core.audit_keys import default_keyring_path
from msctrial.core.users import create_token, get_user
from msctrial.demo.spine import demo_password
from tests.clinical.test_randomise_concurrency import N, check_list, pg_world  # noqa: F401
from tests.conftest import TEST_SECRET
from tests.e2e.conftest import _free_port

pytestmark = pytest.mark.postgres


@pytest.fixture
def bare_engine(pg_engine):  # noqa: ANN001, ANN201
    """PostgreSQL only: SQLite is one file for one server."""
    return pg_engine


def _start(database_url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {
        **os.environ,
        "MSCTRIAL_SECRET_KEY": TEST_SECRET,
        # The keyring the test trial's audit entries were signed with: both servers share it.
        "MSCTRIAL_AUDIT_KEY_FILE": str(default_keyring_path()),
        "MSCTRIAL_MIGRATE_ON_START": "false",
        "MSCTRIAL_COOKIE_SECURE": "false",
    }
    cmd = [sys.executable, "-m", "msctrial.cli", "serve", "--db", database_url]
    proc = subprocess.Popen(
        [*cmd, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    return proc, f"http://127.0.0.1:{port}"


@pytest.fixture
def two_servers(settings) -> Iterator[tuple[str, str]]:  # noqa: ANN001
    started = [_start(settings.database_url) for _ in range(2)]
    try:
        deadline = time.monotonic() + 90
        for proc, url in started:
            while True:
                assert proc.poll() is None, proc.stderr.read().decode()[-2000:]  # type: ignore[union-attr]
                try:
                    httpx.get(f"{url}/login", timeout=2)
                    break
                except httpx.HTTPError:
                    assert time.monotonic() < deadline, f"{url} did not start"
                    time.sleep(0.2)
        yield started[0][1], started[1][1]
    finally:
        for proc, _ in started:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)


def test_200_randomisations_split_across_two_servers_give_no_duplicate_and_no_gap(
    pg_world,  # noqa: ANN001, F811
    two_servers: tuple[str, str],
) -> None:
    factory, _settings, world, codes = pg_world
    with factory() as session:
        user = get_user(session, "investigator")
        token = create_token(session, world.actor("admin"), user, "two servers")
    headers = {"Authorization": f"Bearer {token}"}

    async def all_at_once() -> list[httpx.Response]:
        clients = [
            httpx.AsyncClient(base_url=url, headers=headers, timeout=180) for url in two_servers
        ]
        try:
            return await asyncio.gather(
                *(
                    clients[i % 2].post(
                        f"/api/v1/clinical/subjects/{code}/randomise",
                        json={"password": demo_password("investigator")},
                    )
                    for i, code in enumerate(codes)
                )
            )
        finally:
            for client in clients:
                await client.aclose()

    # On a thread of its own: a browser test earlier in this worker may leave an event loop
    # running on this one, where asyncio.run refuses to start another.
    with ThreadPoolExecutor(1) as pool:
        responses = pool.submit(asyncio.run, all_at_once()).result()
    assert [r.status_code for r in responses] == [200] * N, responses[0].text
    assert len({r.json()["randomisation_no"] for r in responses}) == N
    check_list(factory)


def _token_attempt(url: str, password: str) -> httpx.Response:
    return httpx.post(
        f"{url}/api/v1/tokens", json={"username": "monitor", "password": password}, timeout=30
    )


def test_wrong_passwords_on_one_server_throttle_the_login_on_the_other(
    trial,  # noqa: ANN001
    two_servers: tuple[str, str],
) -> None:
    first, second = two_servers
    assert [_token_attempt(first, "wrong-password-x").status_code for _ in range(3)] == [401] * 3
    # The back-off after the third failure is 1 s; once it has passed, a fourth failure, on the
    # other server, doubles it, and a fifth on the first doubles it again to 4 s.
    time.sleep(1.2)
    assert _token_attempt(second, "wrong-password-x").status_code == 401
    time.sleep(2.2)
    assert _token_attempt(first, "wrong-password-x").status_code == 401
    throttled = _token_attempt(second, trial.passwords["monitor"])
    assert throttled.status_code == 429, throttled.text
    assert int(throttled.headers["Retry-After"]) >= 2  # it counted the first server's failures


def _log_in(client: httpx.Client, username: str, password: str) -> None:
    form = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf, "the login page has no CSRF token"
    done = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf.group(1)},
    )
    assert done.status_code == 303, done.text


def test_a_logout_on_one_server_ends_the_session_on_the_other(
    trial,  # noqa: ANN001
    two_servers: tuple[str, str],
) -> None:
    first, second = two_servers
    with (
        httpx.Client(base_url=first, timeout=30) as one,
        httpx.Client(base_url=second, timeout=30) as other,
    ):
        _log_in(one, "monitor", trial.passwords["monitor"])
        other.cookies = one.cookies  # the same browser reaching the other server
        assert other.get("/").status_code == 200
        page = one.get("/")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf
        assert one.post("/logout", data={"csrf_token": csrf.group(1)}).status_code == 303
        after = other.get("/")
        assert after.status_code == 303
        assert after.headers["location"].startswith("/login")
