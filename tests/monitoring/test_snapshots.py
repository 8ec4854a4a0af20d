"""KRI snapshots: one set per date, replaced on the same day, flag changes between dates."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from msctrial.clinical.randomisation.tables import EmergencyUnblinding
from msctrial.clinical.subjects.tables import Subject
from msctrial.core import audit
from msctrial.core.actors import Actor, Grant
from msctrial.core.errors import PermissionDenied
from msctrial.core.tables import Site
from msctrial.monitoring.history import read_history, take_snapshot
from msctrial.monitoring.model import FlagChange, flag_changes
from tests.cli.conftest import cli  # noqa: F401  (the fixture)
from tests.monitoring.conftest import AS_OF

MONITOR = Actor("monitor", grants=(Grant("monitor"),))


def test_flag_changes_list_what_changed_appeared_or_went():
    before = {("AE", "WUH"): 0, ("SAE", "WUH"): 1, ("QRY", "BJS"): None}
    after = {("AE", "WUH"): -2, ("SAE", "WUH"): 1, ("QRY", "BJS"): 0, ("SF", "KMG"): 1}
    assert flag_changes(before, after) == [
        FlagChange("AE", "WUH", 0, -2),
        FlagChange("QRY", "BJS", None, 0),
        FlagChange("SF", "KMG", None, 1),
    ]


def _unblind_two_at_wuh(session) -> None:  # noqa: ANN001
    wuh = session.scalar(select(Site.id).where(Site.code == "WUH"))
    subjects = session.scalars(
        select(Subject).where(Subject.site_id == wuh, Subject.day0_date.is_not(None))
    )
    for subject in list(subjects)[:2]:
        session.add(
            EmergencyUnblinding(
                subject_id=subject.id, site_id=wuh, reason="anaphylaxis", unblinded_by="inv"
            )
        )
    audit.attach(session, Actor.system_actor("test-fault"))
    with audit.because(session, "a simulated site fault"):
        session.flush()


def test_two_snapshot_dates_keep_their_own_results_and_show_the_flag_change(world):
    s = world.session
    first = take_snapshot(s, MONITOR, now=AS_OF - dt.timedelta(days=7))
    assert first.previous_date is None and first.rows > 0
    again = take_snapshot(s, MONITOR, now=AS_OF - dt.timedelta(days=7))  # same day: replaced
    assert again.rows == first.rows
    _unblind_two_at_wuh(s)
    second = take_snapshot(s, MONITOR, now=AS_OF)
    assert second.previous_date == first.snapshot_date
    assert FlagChange("UNBL", "WUH", 0, 2) in second.changes
    history = read_history(s, MONITOR, kri="UNBL", site="WUH")
    assert [(r.snapshot_date, r.flag) for r in history] == [
        (first.snapshot_date, 0),
        (second.snapshot_date, 2),
    ]
    assert len(read_history(s, MONITOR)) == first.rows + second.rows


def test_a_site_user_reads_only_their_sites_history_and_takes_no_snapshot(world):
    s = world.session
    take_snapshot(s, MONITOR, now=AS_OF)
    bjs = s.scalar(select(Site.id).where(Site.code == "BJS"))
    investigator = Actor("inv", grants=(Grant("investigator", site_id=bjs, site_code="BJS"),))
    assert {r.site for r in read_history(s, investigator)} == {"BJS"}
    with pytest.raises(PermissionDenied):
        take_snapshot(s, investigator, now=AS_OF)


def test_the_commands_store_and_show_the_history(cli, world):  # noqa: F811
    world.session.close()
    taken = cli("monitor", "snapshot", "--db", world.path, "--json")
    assert taken.code == 0, taken
    assert json.loads(taken.out)["rows"] > 0
    history = cli("monitor", "history", "--db", world.path, "--kri", "ae", "--json")
    rows = json.loads(history.out)
    assert rows and {r["kri"] for r in rows} == {"AE"}
    assert "snapshot" in cli("monitor", "snapshot", "--db", world.path).out
