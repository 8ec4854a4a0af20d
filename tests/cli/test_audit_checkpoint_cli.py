"""``msctrial audit checkpoint`` and ``audit verify --checkpoint F``: the head anchored outside
the database, and the tamper scenarios of issue 14 through the command line, on both backends."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from tests.cli.conftest import assert_one_plain_error
from tests.core.tamper import edit_entry, relink, truncate


@pytest.fixture
def keys(tmp_path, monkeypatch):  # noqa: ANN001, ANN201
    """A keyring file of this test's own, named by MSCTRIAL_AUDIT_KEY_FILE."""
    path = tmp_path / "audit-keys"
    monkeypatch.setenv("MSCTRIAL_AUDIT_KEY_FILE", str(path))
    monkeypatch.delenv("MSCTRIAL_AUDIT_KEY", raising=False)
    return path


@pytest.fixture
def trail(cli, db_url, keys):  # noqa: ANN001, ANN201
    assert cli("audit", "rotate-key").code == 0
    for code in ("WUH", "BJS", "KMG", "SHA"):
        assert cli("site", "add", code, f"Site {code}", "--db", db_url).code == 0
    return db_url


def attacker(db_url: str) -> Session:
    return Session(create_engine(db_url))


def test_a_checkpoint_verifies_and_names_its_entry(cli, trail, tmp_path):
    out = tmp_path / "head.json"
    made = cli("audit", "checkpoint", "--out", out, "--db", trail)
    assert made.code == 0 and "checkpoint of entry 4 (" in made.out
    point = json.loads(out.read_text())
    assert point["seq"] == 4 and len(point["hash"]) == 64 and len(point["hmac"]) == 64
    result = cli("audit", "verify", "--checkpoint", out, "--db", trail)
    assert result.code == 0, result
    assert "audit trail intact: 4 entries verified (keys: k" in result.out
    assert "entries 1 to 4 are unchanged" in result.out
    printed = cli("audit", "checkpoint", "--db", trail)
    assert printed.code == 0 and json.loads(printed.out)["seq"] == 4


def test_a_truncated_tail_below_a_checkpoint_exits_1(cli, trail, tmp_path):
    out = tmp_path / "head.json"
    assert cli("audit", "checkpoint", "--out", out, "--db", trail).code == 0
    with attacker(trail) as s:
        truncate(s, keep=2)
    result = cli("audit", "verify", "--checkpoint", out, "--db", trail)
    assert result.code == 1 and result.out == ""
    assert "audit trail BROKEN at entry 3: the trail ends at entry 2" in result.err
    assert "entries 3 to 4 were removed" in result.err
    report = json.loads(cli("audit", "verify", "--checkpoint", out, "--json", "--db", trail).out)
    assert not report["ok"] and report["checkpoint"]["seq"] == 4


@pytest.mark.parametrize("how", ["sha256", "guessed-key"])
def test_an_entry_edited_and_relinked_without_the_key_exits_1(cli, trail, keys, how):
    key_id = keys.read_text().splitlines()[-1].split(":")[0]  # the id is no secret
    with attacker(trail) as s:
        edit_entry(s, 2, reason="forged")
        relink(s, 2, None if how == "sha256" else (key_id, b"x" * 43))
    result = cli("audit", "verify", "--db", trail)
    assert result.code == 1 and result.err.startswith("audit trail BROKEN at entry 2: ")


def test_checkpoint_of_a_broken_chain_writes_nothing(cli, trail, tmp_path):
    with attacker(trail) as s:
        edit_entry(s, 2, reason="forged")
    out = tmp_path / "head.json"
    result = cli("audit", "checkpoint", "--out", out, "--db", trail)
    assert result.code == 1 and "not checkpointed" in result.err and not out.exists()


def test_a_bad_checkpoint_file_is_one_plain_error(cli, trail, tmp_path):
    (tmp_path / "junk.json").write_text('{"format": "something else"}')
    assert_one_plain_error(
        cli("audit", "verify", "--checkpoint", tmp_path / "junk.json", "--db", trail),
        "not an msctrial audit checkpoint",
    )
    out = tmp_path / "head.json"
    assert cli("audit", "checkpoint", "--out", out, "--db", trail).code == 0
    assert_one_plain_error(
        cli("audit", "checkpoint", "--out", out, "--db", trail), "never overwrites"
    )
    point = json.loads(out.read_text())
    (tmp_path / "forged.json").write_text(json.dumps({**point, "seq": 3}))
    result = cli("audit", "verify", "--checkpoint", tmp_path / "forged.json", "--db", trail)
    assert result.code == 1 and "the checkpoint's signature does not match" in result.err


def test_a_rotated_key_signs_from_then_on_and_the_old_one_still_verifies(cli, trail, keys):
    first = keys.read_text().splitlines()[-1].split(":")[0]
    rotated = cli("audit", "rotate-key")
    assert rotated.code == 0 and f"added to {keys}" in rotated.out
    second = keys.read_text().splitlines()[-1].split(":")[0]
    assert cli("site", "add", "NEW", "After rotation", "--db", trail).code == 0
    result = cli("audit", "verify", "--json", "--db", trail)
    assert json.loads(result.out)["key_ids"] == [first, second]
    keys.write_text(keys.read_text().replace(keys.read_text().splitlines()[1] + "\n", ""))
    lost = cli("audit", "verify", "--db", trail)
    assert lost.code == 1 and "audit trail NOT VERIFIED" in lost.err
    assert f"audit key {first!r}, which the keyring" in lost.err


def test_rotate_key_refuses_a_key_given_in_the_environment(cli, monkeypatch):
    monkeypatch.setenv("MSCTRIAL_AUDIT_KEY", "k9:" + "s" * 43)
    assert_one_plain_error(cli("audit", "rotate-key"), "MSCTRIAL_AUDIT_KEY names the signing key")


def test_serve_on_postgresql_refuses_to_start_without_an_audit_key(cli, monkeypatch):
    import uvicorn

    from tests.conftest import TEST_SECRET

    monkeypatch.setenv("MSCTRIAL_SECRET_KEY", TEST_SECRET)
    monkeypatch.delenv("MSCTRIAL_DEMO", raising=False)
    monkeypatch.delenv("MSCTRIAL_AUDIT_KEY", raising=False)
    monkeypatch.delenv("MSCTRIAL_AUDIT_KEY_FILE", raising=False)

    def must_not_listen(*args, **kwargs):  # noqa: ANN002, ANN003
        raise AssertionError("serve listened without an audit key")

    monkeypatch.setattr(uvicorn, "run", must_not_listen)
    result = cli("serve", "--db", "postgresql+psycopg://trial@127.0.0.1:1/none")
    assert_one_plain_error(result, "MSCTRIAL_AUDIT_KEY or MSCTRIAL_AUDIT_KEY_FILE")
