"""Command-line inputs that would crash or exhaust memory (issue 14, defect 7): each is one
``error:`` line and exit 2, and nothing is written. The registry's ZIPs and devices are
``tests/registry/test_limits.py``; these are the protocol, product and clinical doors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import EXAMPLES, assert_one_plain_error

DEEP_YAML = "a: " + "[" * 20_000 + "]" * 20_000 + "\n"
DEEP_JSON = "[" * 100_000 + "]" * 100_000
DIGITS = "9" * 10_001
REFERENCE = str(EXAMPLES / "guidance-reference.yaml")


def _file(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(body)
    return path


needs_dev_zero = pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")


@needs_dev_zero
@pytest.mark.parametrize(
    "args",
    [
        ["protocol", "check", "/dev/zero"],
        ["protocol", "check", REFERENCE, "--ruleset", "/dev/zero"],
        ["product", "spec", "check", "/dev/zero"],
        ["clinical", "severity", "--input", "/dev/zero"],
    ],
    ids=["protocol-check", "ruleset", "spec-check", "severity"],
)
def test_dev_zero_is_read_with_a_cap(cli, args):
    assert_one_plain_error(cli(*args), "/dev/zero")


@needs_dev_zero
def test_protocol_load_of_dev_zero_writes_nothing(cli, tmp_path):
    db = tmp_path / "s.db"
    assert_one_plain_error(cli("protocol", "load", "/dev/zero", "--db", db), "/dev/zero")
    assert not db.exists()


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (DEEP_YAML, "nested more than 64 levels deep"),
        ("trial_id: X\nsample_size: " + DIGITS + "\n", "a number of 10,001 digits"),
        ("title: A\ntitle: B\n", "the key 'title' is given twice (first at line 1)"),
        ("registered: 2020-13-45\n", "malformed YAML: month must be in 1..12"),
    ],
    ids=["nested-20000", "10001-digits", "key-twice", "impossible-date"],
)
@pytest.mark.parametrize("command", [["protocol", "check"], ["product", "spec", "check"]])
def test_hostile_yaml_is_one_error_line(cli, tmp_path, body, says, command):
    path = _file(tmp_path, "hostile.yaml", body)
    assert_one_plain_error(cli(*command, path), says)


def test_a_hostile_ruleset_is_one_error_line(cli, tmp_path):
    path = _file(tmp_path, "rules.yaml", "rules: []\nrules: []\n")
    assert_one_plain_error(
        cli("protocol", "check", REFERENCE, "--ruleset", path), "the key 'rules' is given twice"
    )


@pytest.mark.parametrize(
    ("body", "says"),
    [(DEEP_JSON, "depth limit exceeded"), ('{"age_years": ' + DIGITS + "}", "not valid JSON")],
    ids=["nested-100000", "10001-digits"],
)
def test_hostile_json_is_one_error_line(cli, tmp_path, body, says):
    path = _file(tmp_path, "obs.json", body)
    assert_one_plain_error(cli("clinical", "severity", "--input", path), says)


def test_protocol_load_of_hostile_yaml_writes_nothing(cli, tmp_path):
    db = tmp_path / "s.db"
    path = _file(tmp_path, "p.yaml", "sample_size: " + DIGITS + "\n")
    assert_one_plain_error(cli("protocol", "load", path, "--db", db), "10,001 digits")
    assert not db.exists()
