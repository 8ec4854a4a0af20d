"""A keyed chain: a database writer without the audit key cannot rewrite the trail unseen.

Each tamper scenario of issue 14 (an entry edited and every later link and the head
recomputed; a value and its entry edited together; the tail truncated and the head
recomputed) passed `verify` while links were plain SHA-256. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json

import pytest
from sqlalchemy import select, text, update

from msctrial.core import audit
from msctrial.core.audit_chain import _canonical, make_checkpoint
from msctrial.core.audit_keys import Keyring, add_key, mac
from msctrial.core.audit_records import verify_records
from msctrial.core.session import create_all, make_sessionmaker
from msctrial.core.sites import add_site
from msctrial.core.tables import AuditEntry, Site
from tests.core.tamper import edit_entry, relink, rows, truncate


@pytest.fixture
def ring(tmp_path):  # noqa: ANN001, ANN201
    path = tmp_path / "audit-keys"
    add_key(path)
    return Keyring.from_values(None, path)


@pytest.fixture
def keyed_engine(bare_engine, ring):  # noqa: ANN001, ANN201
    """Every table, the head signed with ``ring``."""
    create_all(bare_engine, ring)
    return bare_engine


@pytest.fixture
def keyed(keyed_engine, ring, system):  # noqa: ANN001, ANN201
    """A session on a trail of five sites, signed with ``ring``."""
    factory = make_sessionmaker(keyed_engine, ring)
    for i in range(5):
        with factory() as s:
            add_site(s, system, f"S{i}X", f"Site {i}")
    with factory() as s:
        yield s


def test_each_link_is_an_hmac_under_the_key_its_entry_names(keyed, ring):
    key_id, secret = ring.signing()
    entries = rows(keyed)
    assert [e["key_id"] for e in entries] == [key_id] * 5
    for entry, after in zip(entries, entries[1:], strict=False):
        assert after["prev_hash"] == mac(secret, _canonical(entry))
        assert after["prev_hash"] != hashlib.sha256(_canonical(entry)).hexdigest()
    report = audit.verify_chain(keyed, ring)
    assert report.ok and report.entries == 5 and report.key_ids == (key_id,) and not report.legacy


@pytest.mark.parametrize("attacker_key", ["sha256", "guessed"])
def test_an_entry_edited_and_every_later_link_recomputed_is_detected(keyed, ring, attacker_key):
    edit_entry(keyed, 2, reason="forged")
    key_id = ring.signing()[0]
    relink(keyed, 2, None if attacker_key == "sha256" else (key_id, b"g" * 43))
    report = audit.verify_chain(keyed, ring)
    assert not report.ok and report.first_broken_seq == 2
    if attacker_key == "sha256":
        assert "entry 2 is an unkeyed (SHA-256) link after keyed links began at entry 1" in (
            report.problem or ""
        )
    else:
        assert "entry 2 was altered after it was written" in (report.problem or "")


def test_a_value_and_its_entry_edited_together_and_relinked_is_detected(keyed, ring):
    site = keyed.scalar(select(Site).where(Site.code == "S3X"))
    seq = keyed.scalar(
        select(AuditEntry.seq).where(
            AuditEntry.entity == "site", AuditEntry.entity_id == str(site.id)
        )
    )
    entry = keyed.get(AuditEntry, seq)
    forged = {**entry.changes, "name": [None, "Forged"]}
    keyed.execute(update(Site).where(Site.id == site.id).values(name="Forged"))
    edit_entry(keyed, seq, changes=forged)
    relink(keyed, seq, (ring.signing()[0], b"g" * 43))
    keyed.expire_all()
    assert verify_records(keyed) == []  # record and entry agree: only the chain can tell
    report = audit.verify_chain(keyed, ring)
    assert not report.ok and report.first_broken_seq == seq


def test_a_truncated_tail_with_its_head_recomputed_is_caught_by_a_checkpoint(keyed, ring):
    point = make_checkpoint(keyed, ring)
    assert point.seq == 5
    truncate(keyed, keep=3)
    # Without an anchor outside the database a shorter trail is a whole trail.
    assert audit.verify_chain(keyed, ring).ok
    report = audit.verify_chain(keyed, ring, point)
    assert not report.ok and report.first_broken_seq == 4
    assert "the trail ends at entry 3" in (report.problem or "")
    assert "entries 4 to 5 were removed" in (report.problem or "")


def test_a_chain_rewritten_wholesale_as_sha256_links_is_detected(keyed, ring):
    """The head's signed marker says links are keyed from entry 1 on; the old chain's
    algorithm no longer passes for the new one."""
    edit_entry(keyed, 2, reason="forged")
    relink(keyed, 1)  # every link a plain SHA-256: what the old chain was
    report = audit.verify_chain(keyed, ring)
    assert not report.ok and report.first_broken_seq == 1
    assert "entry 1 is an unkeyed (SHA-256) link after keyed links began at entry 1" in (
        report.problem or ""
    )


def test_a_stripped_or_moved_marker_is_detected(keyed, ring):
    keyed.execute(text("UPDATE audit_head SET legacy_seq = 5"))
    keyed.commit()
    report = audit.verify_chain(keyed, ring)
    assert not report.ok and "entry 1 is keyed but the head's signed marker" in (
        report.problem or ""
    )
    keyed.execute(text("UPDATE audit_head SET legacy_mac = NULL"))
    keyed.commit()
    report = audit.verify_chain(keyed, ring)
    assert not report.ok and "no signed marker of where keyed links begin" in (report.problem or "")


def test_a_holder_of_the_key_can_relink_but_not_past_a_checkpoint_kept_elsewhere(keyed, ring):
    point = make_checkpoint(keyed, ring)
    edit_entry(keyed, 2, reason="forged")
    relink(keyed, 2, ring.signing())
    assert audit.verify_chain(keyed, ring).ok  # the key is the whole secret
    report = audit.verify_chain(keyed, ring, point)
    assert not report.ok and report.first_broken_seq == 5
    assert "the trail up to it was rewritten" in (report.problem or "")


def test_a_checkpoint_verifies_while_the_trail_grows_after_it(keyed, ring, keyed_engine, system):
    point = make_checkpoint(keyed, ring)
    keyed.commit()  # end the read: on SQLite it holds the write lock
    with make_sessionmaker(keyed_engine, ring)() as s:
        add_site(s, system, "NEW", "After the checkpoint")
    keyed.expire_all()
    report = audit.verify_chain(keyed, ring, point)
    assert report.ok and report.entries == 6


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"seq": 4}, "the checkpoint's signature does not match"),
        ({"hash": "0" * 64}, "the checkpoint's signature does not match"),
        ({"key_id": "other"}, "which the keyring"),
    ],
    ids=["seq", "hash", "key-id"],
)
def test_an_altered_checkpoint_is_refused(keyed, ring, change, says):
    point = dataclasses.replace(make_checkpoint(keyed, ring), **change)
    report = audit.verify_chain(keyed, ring, point)
    assert not report.ok and says in (report.problem or "")


def test_rotation_signs_from_then_on_and_old_keys_still_verify(bare_engine, tmp_path, system):
    path = tmp_path / "audit-keys"
    first = add_key(path)
    engine = bare_engine
    create_all(engine, Keyring.from_values(None, path))
    with make_sessionmaker(engine, Keyring.from_values(None, path))() as s:
        add_site(s, system, "OLD", "Before rotation")
    second = add_key(path)
    ring = Keyring.from_values(None, path)
    with make_sessionmaker(engine, ring)() as s:
        add_site(s, system, "NEW", "After rotation")
        assert [e["key_id"] for e in rows(s)] == [first, second]
        report = audit.verify_chain(s, ring)
        assert report.ok and report.key_ids == (first, second)
        only_new = Keyring.from_values(
            f"{second}:{dict(ring._keys_in_file())[second].decode()}", None
        )
        report = audit.verify_chain(s, only_new)
        assert not report.ok and report.unverifiable
        assert f"signed with audit key {first!r}, which the" in (report.problem or "")


def test_a_database_upgraded_from_unkeyed_links_verifies_them_and_keys_from_then_on(
    bare_engine, ring, system
):
    """core_0002 is the schema before keyed links: its trail is plain SHA-256."""
    from alembic import command

    from msctrial.core.migrate import alembic_config, upgrade

    cfg = alembic_config(bare_engine)
    with bare_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "core_0002")
    prev = audit.GENESIS
    with bare_engine.begin() as conn:
        for seq in (1, 2, 3):
            entry = {
                "seq": seq, "at": "2026-11-01T10:00:00+00:00", "actor": "system:old",
                "action": "create", "entity": "site", "entity_id": str(seq),
                "changes": {"code": [None, f"L{seq}"]}, "sealed_changes": None,
                "reason": None, "site_id": None, "prev_hash": prev,
            }  # fmt: skip
            conn.execute(
                text(
                    "INSERT INTO audit_entry (seq, at, actor, action, entity, entity_id, changes,"
                    " reason, site_id, prev_hash) VALUES (:seq, :at, :actor, :action, :entity,"
                    " :entity_id, :changes, :reason, :site_id, :prev_hash)"
                ),
                {**entry, "changes": json.dumps(entry["changes"])},
            )
            prev = hashlib.sha256(_canonical(entry)).hexdigest()
        conn.execute(
            text("INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, 3, :h)"), {"h": prev}
        )
    upgrade(bare_engine, ring)
    factory = make_sessionmaker(bare_engine, ring)
    with factory() as s:
        add_site(s, system, "NEW", "After the upgrade")
        add_site(s, system, "NEW2", "After the upgrade too")
        assert [e["key_id"] for e in rows(s)][:3] == [None, None, None]
        report = audit.verify_chain(s, ring)
        assert report.ok, report
        assert report.entries == 5 and report.legacy == 3 and report.key_ids == (ring.ids()[-1],)
        edit_entry(s, 4, reason="forged")
        relink(s, 4)  # the keyed links rewritten as plain ones
        report = audit.verify_chain(s, ring)
        assert not report.ok and "entry 4 is an unkeyed (SHA-256) link after keyed links" in (
            report.problem or ""
        )
        edit_entry(s, 2, reason="forged")
        relink(s, 2)  # the legacy links rewritten too
        report = audit.verify_chain(s, ring)
        assert not report.ok and "the head's signed marker" in (report.problem or "")


def test_the_development_keyring_is_made_0600_on_the_first_signed_write(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("MSCTRIAL_AUDIT_KEY", raising=False)
    monkeypatch.delenv("MSCTRIAL_AUDIT_KEY_FILE", raising=False)
    path = tmp_path / "state" / "msctrial" / "audit-keys"
    ring = Keyring.from_env()
    assert ring.get("k1") is None and not path.exists()  # verifying makes no key
    key_id, secret = ring.signing()
    assert path.stat().st_mode & 0o777 == 0o600 and len(secret) >= 32
    assert Keyring.from_env().signing() == (key_id, secret)  # the same key next time


def test_a_server_on_postgresql_needs_a_configured_audit_key(monkeypatch):
    from msctrial.core.errors import InvalidInput
    from msctrial.core.settings import Settings

    monkeypatch.delenv("MSCTRIAL_AUDIT_KEY", raising=False)
    monkeypatch.delenv("MSCTRIAL_AUDIT_KEY_FILE", raising=False)
    pg = "postgresql+psycopg://trial@db.example/trial"
    with pytest.raises(InvalidInput, match=r"MSCTRIAL_AUDIT_KEY or MSCTRIAL_AUDIT_KEY_FILE: a"):
        Settings(database_url=pg).require_audit_key()
    Settings(database_url=pg, audit_key="k1:" + "s" * 43).require_audit_key()
    Settings(database_url=pg, demo=True).require_audit_key()
    Settings(database_url="sqlite:///trial.db").require_audit_key()


@pytest.mark.parametrize(
    ("key", "says"),
    [("k1:short", "shorter than 32 characters"), ("no-colon", "written ID:SECRET"),
     ("bad id!:" + "s" * 43, "written ID:SECRET")],
)  # fmt: skip
def test_a_malformed_audit_key_is_refused_naming_it(key, says):
    from msctrial.core.errors import InvalidInput

    with pytest.raises(InvalidInput, match=says):
        Keyring.from_values(key, None)
