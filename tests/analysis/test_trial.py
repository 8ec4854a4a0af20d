"""The trial's own analysis from its stored visits: pooled for the statistician, by arm for the
DSMB, through the service and the command line."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from msctrial.analysis.biomarkers import MARKERS
from msctrial.analysis.trial import analyse_trial, trial_endpoints
from msctrial.core.actors import Actor, Grant
from msctrial.core.db import make_engine
from msctrial.core.errors import PermissionDenied
from msctrial.core.session import make_sessionmaker
from msctrial.core.settings import load_settings

STATISTICIAN = Actor(username="stat", grants=(Grant("statistician"),))
DSMB = Actor(username="chair", grants=(Grant("dsmb"),))


@pytest.fixture
def session(trial_db):  # noqa: ANN201
    engine = make_engine(load_settings(database_url=trial_db))
    with make_sessionmaker(engine)() as session:
        yield session
    engine.dispose()


def test_the_statistician_gets_pooled_endpoints_and_no_arm(session):
    endpoints = trial_endpoints(session, STATISTICIAN)
    assert "arm" not in endpoints.columns
    assert len(endpoints) >= 5
    assert {"died_by_day_28", "ttci_days", "ttci_improved", "ventilator_free_days",
            "pf_baseline", "pf_change_day_6"} <= set(endpoints.columns)  # fmt: skip
    result = analyse_trial(session, STATISTICIAN).to_dict()
    assert result["blinded"] is True and result["comparisons"] == {}
    assert "arm" not in json.dumps(result).lower().replace("pharm", "")


def test_the_dsmb_gets_the_comparisons_by_arm(session):
    endpoints = trial_endpoints(session, DSMB)
    assert endpoints["arm"].nunique() == 2
    result = analyse_trial(session, DSMB).to_dict()
    assert result["blinded"] is False
    assert {"ttci", "mortality_28", "pf_change_day_6", "pf_mmrm"} <= set(result["comparisons"])
    assert {f"{m.key}_mmrm" for m in MARKERS} <= set(result["comparisons"])
    mmrm = result["comparisons"]["pf_mmrm"]
    order = [c.removeprefix("pf_change_") for c in endpoints if c.startswith("pf_change_")]
    if "not_estimable" not in mmrm:  # the MMRM's visits keep the endpoints' study-day order
        visits = [row["visit"] for row in mmrm["by_visit"]]
        assert mmrm["covariance"] == "unstructured" and visits == sorted(visits, key=order.index)
    ttci = result["comparisons"]["ttci"]
    assert "not_estimable" in ttci or {ttci["reference"], ttci["other"]} == set(endpoints["arm"])


def test_an_unknown_reference_arm_is_refused_for_the_dsmb(session):
    from msctrial.core.errors import InvalidInput

    with pytest.raises(InvalidInput, match="'MSC' is not an arm of column 'arm'"):
        analyse_trial(session, DSMB, reference="MSC")


def test_a_role_without_analysis_rights_is_refused(session):
    with pytest.raises(PermissionDenied):
        trial_endpoints(session, Actor(username="inv", grants=(Grant("investigator", 1, "WUH"),)))


def test_the_endpoints_mortality_agrees_with_the_recorded_deaths(session):
    from msctrial.clinical.subjects.tables import StudyExit, Subject

    endpoints = trial_endpoints(session, STATISTICIAN)
    deaths = {
        code
        for code, kind, day, day0 in session.execute(
            __import__("sqlalchemy").select(Subject.subject_code, StudyExit.kind,
                                            StudyExit.exit_date, Subject.day0_date)
            .join(StudyExit, StudyExit.subject_id == Subject.id)
        )
        if kind == "died" and (day - day0).days <= 28
    }  # fmt: skip
    assert set(endpoints.index[endpoints["died_by_day_28"] == 1]) == deaths


def test_the_trial_command_is_blinded_by_default(cli, sqlite_trial_db):
    result = cli("analysis", "trial", "--db", sqlite_trial_db, "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["blinded"] is True and data["comparisons"] == {}


def test_the_endpoints_command_writes_no_arm_column_for_a_blinded_reader(cli, sqlite_trial_db):
    result = cli("analysis", "endpoints", "--db", sqlite_trial_db)
    assert result.code == 0, result.err
    frame = pd.read_csv(io.StringIO(result.out))
    assert "arm" not in frame.columns and "subject" in frame.columns


def test_the_trial_command_names_a_missing_database(cli, tmp_path):
    from tests.cli.conftest import assert_one_plain_error

    assert_one_plain_error(cli("analysis", "trial", "--db", tmp_path / "none.db"), "database")


@pytest.fixture
def sqlite_session(sqlite_trial_db):  # noqa: ANN201
    engine = make_engine(load_settings(database_url=sqlite_trial_db))
    with make_sessionmaker(engine)() as session:
        yield session
    engine.dispose()


def test_the_blinded_report_names_no_arm_anywhere(sqlite_session):
    session = sqlite_session
    from msctrial.analysis.report import trial_report

    html = trial_report(session, DSMB)
    assert "Blinded report" in html and "<svg" in html
    assert "Baseline characteristics" in html and "any adverse event" in html
    # CONSORT, TTCI, P/F, WHO, then one trajectory per biomarker
    assert "Subgroups" not in html and html.count("<svg") == 4 + len(MARKERS)
    assert "IL-6: geometric mean ratio to baseline" in html and "all subjects pooled" in html
    assert "UC-MSC" not in html and "Placebo" not in html and "placebo" not in html.lower()


def test_the_unblinded_report_is_the_dsmbs_only(sqlite_session):
    session = sqlite_session
    from msctrial.analysis.report import trial_report

    html = trial_report(session, DSMB, unblinded=True)
    assert "UNBLINDED" in html and "Comparisons by arm" in html and "UC-MSC" in html
    assert "Subgroups" in html and html.count("<svg") == 5 + len(MARKERS)
    assert "CRP: log ratio to baseline over visits (MMRM" in html
    assert "Lymphocytes: change from baseline over visits (MMRM" in html
    assert "P/F change over visits (MMRM, unstructured covariance" in html
    with pytest.raises(PermissionDenied, match="the unblinded report is for the DSMB"):
        trial_report(session, STATISTICIAN, unblinded=True)


def test_the_report_command_writes_the_blinded_index(cli, sqlite_trial_db, tmp_path):
    result = cli("report", "--db", sqlite_trial_db, "--out", tmp_path / "report")
    assert result.code == 0, result.err
    html = (tmp_path / "report" / "index.html").read_text(encoding="utf-8")
    assert "Blinded report" in html and "UC-MSC" not in html
    refused = cli("report", "--db", sqlite_trial_db, "--out", tmp_path / "u", "--unblinded")
    assert refused.code == 2 and "for the DSMB" in refused.err


@pytest.mark.parametrize(("username", "blinded"), [("statistician", True), ("dsmb", False)])
def test_through_the_command_line_a_signed_in_user_gets_what_their_role_allows(
    cli, sqlite_trial_db, username, blinded
):
    from msctrial.demo.spine import demo_password

    result = cli("analysis", "trial", "--db", sqlite_trial_db, "--user", username, "--password-stdin",
                 "--json", stdin=demo_password(username) + "\n")  # fmt: skip
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["blinded"] is blinded
    assert bool(data["comparisons"]) is not blinded
    exported = cli("analysis", "endpoints", "--db", sqlite_trial_db, "--user", username,
                   "--password-stdin", stdin=demo_password(username) + "\n")  # fmt: skip
    assert ("arm" in pd.read_csv(io.StringIO(exported.out)).columns) is not blinded


def test_a_wrong_password_exits_2(cli, sqlite_trial_db):
    from tests.cli.conftest import assert_one_plain_error

    result = cli("analysis", "trial", "--db", sqlite_trial_db, "--user", "dsmb", "--password-stdin",
                 stdin="wrong\n")  # fmt: skip
    assert_one_plain_error(result, "wrong password")


def test_the_interim_bounds_show_the_observed_z_to_the_dsmb_only(sqlite_session):
    from msctrial.analysis.report import trial_report

    blinded = trial_report(sqlite_session, STATISTICIAN, looks=[0.5, 1.0], planned_events=191)
    assert "Interim efficacy bounds" in blinded and "observed z" not in blinded
    unblinded = trial_report(sqlite_session, DSMB, unblinded=True, looks=[0.5, 1.0],
                             planned_events=191)  # fmt: skip
    assert "Interim efficacy bounds" in unblinded
    assert "observed z" in unblinded or "not estimable" in unblinded


def test_the_report_command_refuses_looks_that_are_not_numbers(cli, sqlite_trial_db, tmp_path):
    from tests.cli.conftest import assert_one_plain_error

    result = cli("report", "--db", sqlite_trial_db, "--out", tmp_path / "r", "--looks", "half,1")
    assert_one_plain_error(result, "looks:")


def test_pf_over_visits_is_an_mmrm_in_the_visits_order_with_the_last_visit_read_out():
    """The trial's P/F MMRM: visits in study-day order (day_6 before day_14, which text would
    not sort), baseline and severity adjusted, the last visit's difference in its HTML."""
    import numpy as np

    from msctrial.analysis.trial import pf_over_visits

    rng = np.random.default_rng(5)
    rows = []
    for number in range(30):
        arm = "UC-MSC" if number % 2 else "Placebo"
        baseline = rng.uniform(100, 300)
        row = {"subject": f"S{number}", "arm": arm, "severity": ["severe", "critical"][number % 3 == 0],
               "pf_baseline": baseline}  # fmt: skip
        for day in (3, 6, 14):
            row[f"pf_change_day_{day}"] = day * 4 + (arm == "UC-MSC") * 30 + rng.normal(0, 20)
        rows.append(row)
    data = pd.DataFrame(rows)
    columns = ["pf_change_day_3", "pf_change_day_6", "pf_change_day_14"]
    result = pf_over_visits(data, columns, "Placebo")
    assert [row["visit"] for row in result.by_visit] == ["day_3", "day_6", "day_14"]
    assert result.last_visit is not None and result.last_visit["visit"] == "day_14"
    assert result.covariance == "unstructured" and result.converged
    assert "At the last visit (day_14): UC-MSC − Placebo" in result.to_html()
