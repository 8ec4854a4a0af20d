"""Running the command line: in-process for speed, as a real program where the exit matters."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from msctrial.cli.main import main

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "protocols"
PROGRAM = Path(sys.executable).with_name("msctrial")


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys, monkeypatch):  # noqa: ANN001, ANN201
    """``cli("protocol", "check", FILE)`` → Result(code, out, err), run in this process."""
    import io

    def run(*args: str, stdin: str | None = None) -> Result:
        capsys.readouterr()
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def run_program(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Result:
    """The installed ``msctrial`` program in a child process, as a user runs it."""
    proc = subprocess.run(
        [str(PROGRAM), *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        cwd=REPO,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def db_url(bare_engine: Engine) -> str:
    """An empty database on each backend, as a --db value; the commands migrate it."""
    return bare_engine.url.render_as_string(hide_password=False)


def assert_one_plain_error(result: Result, *fragments: str) -> None:
    """Exit 2 with one line on stderr, `error: …`, and no traceback."""
    assert result.code == 2, result
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1, result.err
    assert lines[0].startswith("error: "), lines[0]
    assert "Traceback" not in result.err + result.out
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
