"""Each production of the DSMB's unblinded report is an audit entry, through either door
(issue 10: "``--unblinded`` needs the dsmb role and is an audit entry"); the blinded report
is not, and recording a reading leaves every page's cached data valid."""

from __future__ import annotations

from sqlalchemy import create_engine, select, text

from msctrial.core.tables import AuditEntry
from msctrial.demo.spine import demo_password
from tests.web.test_analysis_pages import app, as_user  # noqa: F401


def _readings(url: str) -> list[tuple[str, str]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(AuditEntry.actor, AuditEntry.changes).where(
                AuditEntry.entity == "unblinded_report"
            )
        ).all()
    engine.dispose()
    return [(actor, changes["door"][1]) for actor, changes in rows]


def test_the_unblinded_report_from_the_command_line_is_on_the_audit_trail(
    cli, sqlite_trial_db, tmp_path
) -> None:  # noqa: ANN001
    before = _readings(sqlite_trial_db)
    blinded = cli("report", "--db", sqlite_trial_db, "--out", tmp_path / "b", "--user",
                  "statistician", "--password-stdin", stdin=demo_password("statistician") + "\n")  # fmt: skip
    assert blinded.code == 0, blinded.err
    assert _readings(sqlite_trial_db) == before
    result = cli("report", "--db", sqlite_trial_db, "--out", tmp_path / "u", "--unblinded",
                 "--user", "dsmb", "--password-stdin", stdin=demo_password("dsmb") + "\n")  # fmt: skip
    assert result.code == 0, result.err
    assert _readings(sqlite_trial_db) == [*before, ("dsmb", "cli")]


def test_the_dsmbs_report_on_the_web_is_recorded_once_per_state_of_the_data(
    app,  # noqa: F811
    as_user,  # noqa: F811
) -> None:
    url = app.state.settings.database_url
    before = _readings(url)
    dsmb = as_user("dsmb")
    assert dsmb.get("/analysis").status_code == 200
    assert dsmb.get("/analysis").status_code == 200  # the same data: served as it was made
    after = _readings(url)
    assert len(after) - len(before) <= 1  # an earlier test may already have produced it
    assert all(reading == ("dsmb", "web") for reading in after[len(before) :])
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM unblinded_report")).scalar() == len(after)
    engine.dispose()
    statistician = as_user("statistician")
    assert statistician.get("/analysis").status_code == 200
    assert _readings(url) == after


def test_a_reading_leaves_the_data_version_as_it_was(app) -> None:  # noqa: F811
    from msctrial.analysis.readings import record_unblinded_report
    from msctrial.core.session import make_sessionmaker
    from msctrial.core.users import get_user, load_actor
    from msctrial.web.page_cache import data_version

    with make_sessionmaker(app.state.engine, app.state.settings.keyring())() as session:
        version = data_version(session)
        record_unblinded_report(session, load_actor(session, get_user(session, "dsmb")), "web")
        assert data_version(session) == version
