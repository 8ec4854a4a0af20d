"""``msctrial demo``: idempotent, one login per role printed, served at 127.0.0.1:8000."""

from __future__ import annotations

import re
import subprocess

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, inspect, select, table
from sqlalchemy.orm import Session

from msctrial.core.tables import ROLES
from tests.cli.conftest import REPO


def row_counts(db_url: str) -> dict[str, int]:
    engine = create_engine(db_url)
    try:
        names = inspect(engine).get_table_names()
        with Session(engine) as s:
            return {n: s.scalar(select(func.count()).select_from(table(n))) for n in names}
    finally:
        engine.dispose()


def test_running_the_demo_twice_duplicates_nothing(cli, db_url):
    first = cli("demo", "--no-serve", "--subjects", "3", "--db", db_url)
    assert first.code == 0, first
    counts = row_counts(db_url)
    assert counts["site"] == 3 and counts["app_user"] == 11 and counts["protocol_version"] == 1
    second = cli("demo", "--no-serve", "--subjects", "3", "--db", db_url)
    assert second.code == 0, second
    assert row_counts(db_url) == counts
    assert second.out == first.out


def test_the_demo_prints_one_login_per_role_and_each_works(cli, db_url):
    from msctrial.core.settings import Settings
    from msctrial.core.users import authenticate

    out = cli("demo", "--no-serve", "--subjects", "0", "--db", db_url).out
    logins = re.findall(r"^  (\S+)\s+(demo-\S+-pass)\s+(\S+)$", out, re.M)
    roles = {grant.split("@")[0] for *_, grant in logins}
    assert roles == set(ROLES)
    engine = create_engine(db_url)
    settings = Settings(database_url=db_url, demo=True)
    with Session(engine) as s:
        for username, password, _ in logins:
            assert authenticate(s, settings, username, password).username == username
    engine.dispose()


def test_make_run_builds_the_demo_with_the_commands_defaults():
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    dry = subprocess.run(
        ["make", "--dry-run", "--no-print-directory", "run"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    commands = [line.strip() for line in dry.stdout.splitlines() if "msctrial" in line]
    assert commands == [".venv/bin/msctrial demo"]


def test_the_demo_serves_its_database_at_127_0_0_1_port_8000(cli, tmp_path, monkeypatch):
    """What `make run` does, without binding the port: the app it would serve starts."""
    monkeypatch.chdir(tmp_path)
    served = {}

    def fake_run(app, host, port, log_level):  # noqa: ANN001
        served.update(app=app, host=host, port=port)

    import uvicorn

    monkeypatch.setattr(uvicorn, "run", fake_run)
    result = cli("demo", "--subjects", "0")
    assert result.code == 0, result
    assert "serving at http://127.0.0.1:8000" in result.out
    assert (served["host"], served["port"]) == ("127.0.0.1", 8000)
    assert (tmp_path / "msctrial-demo.db").is_file()
    settings = served["app"].state.settings
    assert settings.demo and settings.database_url.endswith("/msctrial-demo.db")
    with TestClient(served["app"]) as client:
        page = client.get("/login")
        assert page.status_code == 200 and "Log in" in page.text
