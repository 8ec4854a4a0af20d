"""CI's dependency audit (scripts/dependency_audit.sh) claims no pass it did not earn: offline
it says "not run (why)" and exits 0, a vulnerability fails it, and only a full strict run passes.
pip and pip-audit are stand-ins printing what the real ones print in each case."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
OFFLINE = (
    "ERROR:pip_audit._cli:alembic: Dependency not found on PyPI and could not be audited: "
    "alembic (1.20.1)"
)
NO_DNS = (
    "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='pypi.org', port=443): Max "
    "retries exceeded (Failed to resolve 'pypi.org')"
)
VULNERABLE = "Found 1 known vulnerability in 1 package\nName Version ID Fix Versions\njinja2 3.1.2"


def _run(tmp_path: Path, output: str, status: int) -> subprocess.CompletedProcess[str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "pip").write_text("#!/bin/sh\necho 'alembic==1.20.1'\necho 'jinja2==3.1.2'\n")
    (tmp_path / "out.txt").write_text(output + "\n")
    (bin_dir / "pip-audit").write_text(f"#!/bin/sh\ncat '{tmp_path / 'out.txt'}'\nexit {status}\n")
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    return subprocess.run(
        ["bash", str(REPO / "scripts" / "dependency_audit.sh"), str(bin_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("output", "status", "code", "says"),
    [
        ("No known vulnerabilities found", 0, 0, "dependency audit: passed (pip-audit --strict: 2"),
        (OFFLINE, 1, 0, "dependency audit: not run (the advisory service could not be used: "),
        (NO_DNS, 1, 0, "dependency audit: not run ("),
        (VULNERABLE, 1, 1, "dependency audit: FAILED (known vulnerabilities above)"),
        ("", 127, 1, "dependency audit: FAILED (pip-audit exited 127 without a result)"),
        ("No known vulnerabilities found", 1, 1, "FAILED"),
    ],
    ids=["clean", "registry-without-advisories", "offline", "vulnerable", "missing", "odd"],
)
def test_the_audit_says_what_it_did(tmp_path, output, status, code, says):
    result = _run(tmp_path, output, status)
    assert result.returncode == code, result
    assert says in result.stdout
    if code == 0 and "not run" in says:
        assert "passed" not in result.stdout
