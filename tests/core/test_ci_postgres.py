"""On CI the PostgreSQL half of the suite fails, never skips, when the server is unreachable."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
A_POSTGRES_TEST = (
    "tests/core/test_db.py::test_a_role_for_a_missing_user_breaks_a_foreign_key_on_both_backends"
    "[postgresql]"
)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket is closed


def run_pytest(ci: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "CI"))}
    env["CI"] = ci
    env["MSCTRIAL_TEST_PG_URL"] = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/test"
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            A_POSTGRES_TEST,
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_an_unreachable_postgresql_fails_the_run_on_ci():
    result = run_pytest("true")
    assert result.returncode == 1, result.stdout
    assert "PostgreSQL not reachable" in result.stdout
    assert "(mandatory on CI)" in result.stdout
    assert "1 error" in result.stdout and "skipped" not in result.stdout


def test_an_unreachable_postgresql_is_skipped_with_its_reason_elsewhere():
    result = run_pytest("")
    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout and "PostgreSQL not reachable" in result.stdout
