"""``msctrial serve --workers N``: several processes behind one port, each request answered
without the delayed-ACK stall of uvicorn's own multi-worker socket."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from msctrial.web.asgi import TcpConfig

SECRET = "serve-test-secret-key-that-is-long-enough-012345"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_shared_worker_socket_declares_tcp_so_connections_get_no_delay():
    config = TcpConfig("msctrial.web.asgi:make_app", factory=True, host="127.0.0.1", port=0)
    sock = config.bind_socket()
    try:
        assert sock.proto == socket.IPPROTO_TCP
        sock.listen()
        client = socket.create_connection(sock.getsockname())
        accepted, _ = sock.accept()
        # asyncio sets TCP_NODELAY only on sockets whose protocol is TCP; check it would.
        assert accepted.proto == socket.IPPROTO_TCP
        accepted.close()
        client.close()
    finally:
        sock.close()


def test_serve_with_two_workers_answers_on_one_port(tmp_path: Path):
    db = tmp_path / "serve.db"
    port = _free_port()
    env = {**os.environ, "MSCTRIAL_SECRET_KEY": SECRET}
    cmd = [
        sys.executable,
        "-m",
        "msctrial.cli",
        "serve",
        "--db",
        str(db),
        "--port",
        str(port),
        "--workers",
        "2",
    ]
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/login", timeout=2).status_code
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        assert status == 200
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            bodies = [client.get("/api/v1/protocols").json() for _ in range(5)]
        assert all(b["error"]["code"] == "not_authenticated" for b in bodies)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def test_serve_refuses_the_placeholder_secret_before_starting_workers(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k != "MSCTRIAL_SECRET_KEY"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "msctrial.cli",
            "serve",
            "--db",
            str(tmp_path / "x.db"),
            "--port",
            str(_free_port()),
            "--workers",
            "2",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "MSCTRIAL_SECRET_KEY" in done.stderr and "Traceback" not in done.stderr
