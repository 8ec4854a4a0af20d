"""Who may export what: every export, as every blinded role, holds no allocation; a site user's
exports hold only their sites' subjects (as tests/web/test_blinding_every_route.py walks routes).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import select, update

from msctrial.clinical.randomisation.tables import Allocation, RandomisationSlot
from msctrial.clinical.subjects.tables import Subject
from msctrial.core.tables import Site
from msctrial.demo.spine import demo_password
from msctrial.exchange.sdtm_export import export_sdtm
from msctrial.exchange.service import export_fhir, export_odm
from msctrial.exchange.validate import fhir_errors, schema_errors
from msctrial.exchange.xpt import read_xpt
from msctrial.protocol.service import get_protocol, only_trial
from tests.exchange.conftest import actor, secrets_of_the_allocation, site_id

NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def _files(session, reader, folder: Path) -> dict[str, bytes]:  # noqa: ANN001
    """Every export of every format, as ``reader``: file name → bytes (XPT as its values)."""
    folder.mkdir(parents=True)
    export_odm(session, reader, folder / "odm.xml", now=NOW)
    export_fhir(session, reader, folder / "bundle.json", now=NOW)
    export_sdtm(session, reader, folder / "xpt", now=NOW)
    export_sdtm(session, reader, folder / "csv", file_format="csv", now=NOW)
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.suffix == ".xpt":
            data, labels = read_xpt(path)  # the values, since XPT bytes are not plain text
            out[str(path.relative_to(folder))] = (
                json.dumps(labels) + data.to_csv(index=False)
            ).encode()
        elif path.is_file():
            out[str(path.relative_to(folder))] = path.read_bytes()
    return out


def _blinded_readers(session) -> list:  # noqa: ANN001
    wuh = site_id(session, "WUH")
    return [
        actor("monitor"),
        actor("statistician"),
        actor("admin"),
        actor("safety"),
        actor("investigator", site_id=wuh),
        actor("coordinator", site_id=wuh),
    ]


def _leaks(files: dict[str, bytes], secrets: list[str]) -> list[tuple[str, str]]:
    return [
        (name, secret)
        for name, body in files.items()
        for secret in secrets
        if secret.lower().encode() in body.lower()
    ]


def test_no_blinded_readers_export_holds_an_arm_lot_unit_or_product_kind(
    session,
    tmp_path,  # noqa: ANN001
) -> None:
    secrets = secrets_of_the_allocation(session)
    for n, reader in enumerate(_blinded_readers(session)):
        files = _files(session, reader, tmp_path / f"r{n}")
        assert len(files) == 14  # odm, bundle, 5 XPT + define, 5 CSV + define
        assert _leaks(files, secrets) == [], reader.grants


def test_unblinded_exports_are_valid_and_the_search_finds_their_allocation(
    session,
    tmp_path,  # noqa: ANN001
) -> None:
    secrets = secrets_of_the_allocation(session)
    for role in ("pharmacist", "dsmb"):
        files = _files(session, actor(role), tmp_path / role)
        assert schema_errors(files["odm.xml"], "odm-1.3.2") == []
        assert schema_errors(files["xpt/define.xml"], "define-2.1") == []
        assert fhir_errors(json.loads(files["bundle.json"])) == []
        leaked = {secret for _, secret in _leaks(files, secrets)}
        arms = get_protocol(session, only_trial(session).code).protocol.arms
        assert {a.name for a in arms} <= leaked, role


def test_swapping_every_arm_changes_no_blinded_export(session, tmp_path) -> None:  # noqa: ANN001
    arms = [a.name for a in get_protocol(session, only_trial(session).code).protocol.arms]
    readers = {"monitor": actor("monitor"), "dsmb": actor("dsmb")}
    before = {k: _files(session, r, tmp_path / "before" / k) for k, r in readers.items()}

    def swap_arms() -> None:  # an involution: swapping twice restores the allocation
        swap = {arms[0]: "__swap__", arms[1]: arms[0], "__swap__": arms[1]}
        for table in (Allocation.__table__, RandomisationSlot.__table__):
            for old in (arms[0], arms[1], "__swap__"):
                session.execute(update(table).where(table.c.arm == old).values(arm=swap[old]))

    swap_arms()
    try:  # each export commits its audit record, and with it the swap: swap back after
        after = {k: _files(session, r, tmp_path / "after" / k) for k, r in readers.items()}
    finally:
        swap_arms()
        session.commit()
    assert before["monitor"] == after["monitor"]
    assert before["dsmb"] != after["dsmb"]  # the comparison can see an arm change


def test_a_site_users_exports_hold_only_their_sites_subjects(session, tmp_path) -> None:  # noqa: ANN001
    wuh = site_id(session, "WUH")
    others = list(
        session.scalars(
            select(Subject.subject_code)
            .join(Site, Site.id == Subject.site_id)
            .where(Site.code != "WUH")
        )
    )
    assert others
    files = _files(session, actor("investigator", site_id=wuh), tmp_path / "wuh")
    assert _leaks(files, others) == []
    assert any(b"WUH-" in body for body in files.values())


def test_the_command_exports_as_the_named_user_only_their_site_unblinded(
    cli,
    trial_url,
    tmp_path,  # noqa: ANN001
) -> None:
    result = cli(
        "export", "sdtm", "--db", trial_url, "--out", tmp_path, "--user", "pharmacist",
        "--password-stdin", stdin=demo_password("pharmacist") + "\n",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "(unblinded)" in result.out
    dm, _ = read_xpt(tmp_path / "dm.xpt")
    assert set(dm["SITEID"]) == {"WUH"}
    assert "MASKED" not in set(dm["ARMCD"])


def test_a_user_with_no_role_that_reads_subjects_may_not_export(
    cli,
    trial_url,
    tmp_path,  # noqa: ANN001
) -> None:
    result = cli(
        "export", "odm", "--db", trial_url, "--out", tmp_path / "x.xml", "--user", "qc",
        "--password-stdin", stdin=demo_password("qc") + "\n",
    )  # fmt: skip
    assert result.code != 0
    assert "no role that may see trial subjects" in result.err
    assert not (tmp_path / "x.xml").exists()
