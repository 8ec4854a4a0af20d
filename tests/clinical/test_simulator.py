"""The trial simulator: the same seed gives the same trial, values stay realistic, and the
treatment effect moves mortality and recovery as configured."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from msctrial.clinical.data_queries.tables import DataQuery
from msctrial.clinical.dosing.tables import Infusion
from msctrial.clinical.randomisation.tables import Allocation
from msctrial.clinical.safety.tables import AdverseEvent, SaeReport
from msctrial.clinical.subjects.tables import Screening, StudyExit, Subject
from msctrial.clinical.visits.tables import FormEntry, FormValue, VisitRecord
from msctrial.core.audit import verify_chain
from msctrial.core.db import make_engine
from msctrial.core.errors import InvalidInput
from msctrial.core.session import create_all, make_sessionmaker
from msctrial.core.tables import Site
from msctrial.demo import DemoContext
from msctrial.demo import product as product_demo
from msctrial.demo import spine as spine_demo
from msctrial.simulation.config import SimulationConfig
from msctrial.simulation.patients import (
    CONTROL_MORTALITY,
    course,
    draw_patient,
    screening_observations,
)
from msctrial.simulation.trial import simulate_trial

SEED = 20200308
DAY = dt.date.today() - dt.timedelta(days=1)  # a past day: nothing depends on the wall clock
CONFIG = SimulationConfig(subjects=8, enrolment_days=40)


def build(session, settings, config: SimulationConfig = CONFIG) -> None:
    ctx = DemoContext(subjects=0, seed=SEED)
    spine_demo.build(session, settings, ctx)
    product_demo.build(session, settings, ctx)
    simulate_trial(session, np.random.default_rng(SEED), config, today=DAY)


def dump(session) -> dict[str, list[tuple]]:
    """The trial's clinical data without ids or audit timestamps, in a stable order."""
    code = Subject.subject_code

    def rows(*columns, join=None, order=None):
        stmt = select(*columns)
        for target, on in join or []:
            stmt = stmt.join(target, on)
        return [tuple(r) for r in session.execute(stmt.order_by(*(order or columns)))]

    return {
        "subjects": rows(
            code,
            Site.code,
            Subject.year_of_birth,
            Subject.sex,
            Subject.weight_kg,
            Subject.status,
            Subject.severity,
            Subject.day0_date,
            join=[(Site, Site.id == Subject.site_id)],
        ),
        "screenings": rows(
            code,
            Screening.severity,
            Screening.pf_ratio,
            Screening.eligible,
            join=[(Subject, Subject.id == Screening.subject_id)],
        ),
        "allocations": rows(
            code,
            Allocation.randomisation_no,
            Allocation.stratum,
            Allocation.arm,
            join=[(Subject, Subject.id == Allocation.subject_id)],
        ),
        "infusions": rows(
            code,
            Infusion.started_at,
            Infusion.stopped_at,
            Infusion.reactions,
            join=[(Subject, Subject.id == Infusion.subject_id)],
            order=[code, Infusion.started_at],
        ),
        "visits": rows(
            code,
            VisitRecord.visit_name,
            VisitRecord.visit_date,
            VisitRecord.not_done_reason,
            join=[(Subject, Subject.id == VisitRecord.subject_id)],
        ),
        "values": rows(
            code,
            VisitRecord.visit_name,
            FormEntry.form,
            FormValue.item,
            FormValue.number,
            FormValue.unit,
            FormValue.text,
            FormValue.entered,
            FormValue.entered_unit,
            FormValue.flag,
            join=[
                (FormEntry, FormEntry.id == FormValue.entry_id),
                (VisitRecord, VisitRecord.id == FormEntry.visit_id),
                (Subject, Subject.id == FormEntry.subject_id),
            ],
            order=[code, VisitRecord.visit_name, FormEntry.form, FormValue.item],
        ),
        "adverse_events": rows(
            code,
            AdverseEvent.number,
            AdverseEvent.term,
            AdverseEvent.onset_date,
            AdverseEvent.end_date,
            AdverseEvent.grade,
            AdverseEvent.seriousness,
            AdverseEvent.relationship_product,
            AdverseEvent.susar,
            AdverseEvent.outcome,
            AdverseEvent.awareness_at,
            join=[(Subject, Subject.id == AdverseEvent.subject_id)],
            order=[code, AdverseEvent.number],
        ),
        "reports": rows(
            code,
            SaeReport.kind,
            SaeReport.due_at,
            SaeReport.submitted_at,
            join=[(Subject, Subject.id == SaeReport.subject_id)],
            order=[code, SaeReport.due_at, SaeReport.kind],
        ),
        "queries": rows(
            code,
            DataQuery.item,
            DataQuery.text,
            DataQuery.status,
            DataQuery.raised_at,
            join=[(Subject, Subject.id == DataQuery.subject_id)],
            order=[code, DataQuery.raised_at, DataQuery.text],
        ),
        "exits": rows(
            code,
            StudyExit.kind,
            StudyExit.exit_date,
            join=[(Subject, Subject.id == StudyExit.subject_id)],
        ),
    }


@pytest.fixture
def simulated(session, settings):
    build(session, settings)
    return dump(session)


def test_the_same_seed_gives_the_same_trial(session, settings, simulated, tmp_path: Path):
    assert simulated["allocations"] and simulated["values"] and simulated["adverse_events"]
    other = make_engine(f"sqlite:///{tmp_path / 'again.db'}")
    create_all(other)
    with make_sessionmaker(other)() as again:
        build(again, settings)
        assert dump(again) == simulated
    other.dispose()
    assert verify_chain(session).ok


@pytest.fixture(scope="module")
def one_trial(tmp_path_factory):
    """A simulated trial on SQLite, shared by the tests that only read it."""
    from msctrial.core.settings import Settings
    from tests.conftest import TEST_SECRET

    path = tmp_path_factory.mktemp("sim") / "sim.db"
    engine = make_engine(f"sqlite:///{path}")
    create_all(engine)
    settings = Settings(database_url=f"sqlite:///{path}", secret_key=TEST_SECRET)
    with make_sessionmaker(engine)() as s:
        build(s, settings, SimulationConfig(subjects=16, enrolment_days=40))
        yield dump(s)
    engine.dispose()


def test_laboratories_report_in_their_own_units_and_values_are_stored_canonically(one_trial):
    values = one_trial["values"]
    assert all(v[5] is not None for v in values if v[4] is not None)  # a number has its unit
    seen = set()
    for code, _visit, _form, item, number, unit, _text, entered, entered_unit, _flag in values:
        if item == "pao2" and code.startswith("BJS"):
            assert entered_unit == "kPa" and unit == "mmHg"
            assert number == pytest.approx(entered * 7.50062, rel=1e-3)
            seen.add("kPa")
        if item == "crp" and code.startswith("KMG"):
            assert entered_unit == "mg/dL" and number == pytest.approx(entered * 10)
            seen.add("mg/dL")
    assert seen == {"kPa", "mg/dL"}
    assert any(v[3] == "pf_ratio_corrected" for v in values)


def test_the_simulated_trial_has_every_kind_of_record(one_trial):
    for kind in ("allocations", "infusions", "visits", "values", "adverse_events", "queries"):
        assert one_trial[kind], kind
    assert "randomised" in {s[5] for s in one_trial["subjects"]}


# --- the patient model (pure) ------------------------------------------------------------


def test_a_patient_is_drawn_the_same_from_the_same_seed():
    a = draw_patient(np.random.default_rng(5), site="WUH", year=2026, screen_failure_rate=0.1)
    b = draw_patient(np.random.default_rng(5), site="WUH", year=2026, screen_failure_rate=0.1)
    assert a == b


@pytest.fixture(scope="module")
def cohort():
    rng = np.random.default_rng(42)
    return [draw_patient(rng, site="WUH", year=2026, screen_failure_rate=0.0) for _ in range(3000)]


def test_screening_values_are_realistic_for_the_trials_patients(cohort):
    # Severe ≤ 300 mmHg, critical on a ventilator below 150 (CLINICAL_FACTS §1.1, §2.1).
    for p in cohort[:300]:
        obs = screening_observations(p, np.random.default_rng(1), 760)
        pf = obs["pao2_mmhg"] / obs["fio2"]
        assert 0.21 <= obs["fio2"] <= 1.0 and 20 <= obs["pao2_mmhg"] <= 700
        if p.severity == "severe":
            assert pf <= 300
        if p.severity == "critical":
            assert obs["mechanical_ventilation"] and pf < 150
        assert 18 <= 2026 - p.year_of_birth <= 75 and 50 <= p.weight_kg <= 95
    lymph = np.array([p.baseline.lymphocytes for p in cohort])
    assert np.mean(lymph < 1.1) > 0.9  # lymphopenia (ALC < 1.1 ×10^9/L, §4.1)


@pytest.mark.parametrize("effect", [0.0, 0.5, 1.0])
def test_the_treatment_effect_lowers_mortality_as_configured(cohort, effect):
    control = np.mean([p.dies(False, effect) for p in cohort])
    msc = np.mean([p.dies(True, effect) for p in cohort])
    expected = np.mean([CONTROL_MORTALITY[p.severity] for p in cohort])
    assert control == pytest.approx(expected, abs=0.03)
    assert msc == pytest.approx(expected * (1 - 0.65 * effect), abs=0.03)


def test_msc_patients_recover_faster_when_there_is_an_effect(cohort):
    survivors = [p for p in cohort if not p.dies(True, 1.0) and not p.dies(False, 1.0)]
    assert all(course(p, 7, True, 1.0) > course(p, 7, False, 1.0) for p in survivors)
    assert all(course(p, 7, True, 0.0) == course(p, 7, False, 0.0) for p in survivors)


def test_a_patient_who_dies_worsens_towards_the_day_of_death(cohort):
    p = next(p for p in cohort if p.dies(False, 0.0))
    assert course(p, p.death_day, False, 0.0) < course(p, 1, False, 0.0) < 0


@pytest.mark.parametrize(
    "changes",
    [{"treatment_effect": 1.5}, {"subjects": -1}, {"dropout_rate": 1.0}, {"enrolment_days": 1}],
)
def test_a_configuration_out_of_range_is_refused(changes):
    with pytest.raises(InvalidInput):
        SimulationConfig(**changes)


def test_the_demo_twice_duplicates_no_patient(tmp_path: Path):
    from sqlalchemy import func

    from msctrial.core.settings import Settings
    from msctrial.demo import build_demo

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'demo.db'}", demo=True)

    def counts() -> tuple[int, ...]:
        engine = make_engine(settings)
        with make_sessionmaker(engine)() as s:
            out = tuple(
                s.scalar(select(func.count()).select_from(t))
                for t in (Subject, FormEntry, AdverseEvent, DataQuery, Infusion)
            )
            assert verify_chain(s).ok
        engine.dispose()
        return out

    build_demo(settings, subjects=3, seed=9)
    first = counts()
    assert first[0] == 3
    build_demo(settings, subjects=3, seed=9)
    assert counts() == first
