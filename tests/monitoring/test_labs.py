"""gsm's grade 3+ lab abnormality KRI (LB): CTCAE v5.0 grades of the stored blood counts, at
their band edges, and the KRI's counts checked against the stored values."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from msctrial.clinical.visits.tables import FormEntry, FormValue
from msctrial.core.actors import Actor, Grant
from msctrial.core.tables import Site
from msctrial.monitoring.labs import GRADING, ctcae_grade
from msctrial.monitoring.service import key_risk_indicators, kri_records
from tests.monitoring.conftest import AS_OF

MONITOR = Actor("monitor", grants=(Grant("monitor"),))


@pytest.mark.parametrize(
    ("item", "value", "grade"),
    [
        ("lymphocytes", 0.8, 0),  # at the grade-2 limit: not below it
        ("lymphocytes", 0.79, 2),
        ("lymphocytes", 0.5, 2),  # CTCAE grade 3 is "<500/mm3": 0.5 itself is grade 2
        ("lymphocytes", 0.49, 3),
        ("lymphocytes", 0.2, 3),
        ("lymphocytes", 0.19, 4),
        ("neutrophils", 0.99, 3),
        ("neutrophils", 0.49, 4),
        ("platelets", 49.0, 3),
        ("platelets", 24.0, 4),
        ("wbc", 1.5, 3),
        ("haemoglobin", 79.0, 3),
        ("haemoglobin", 40.0, 3),  # anaemia's grade 4 is clinical, not a value
        ("haemoglobin", 128.0, 0),
        ("crp", 300.0, None),  # not graded by CTCAE
    ],
)
def test_a_blood_count_is_graded_by_ctcae_v5_bands(item, value, grade):
    assert ctcae_grade(item, value) == grade


def test_lb_counts_grade_3_or_4_values_among_the_graded_blood_counts(world):
    s = world.session
    codes = {site.id: site.code for site in s.scalars(select(Site))}
    graded: Counter[str] = Counter()
    severe: Counter[str] = Counter()
    for site_id, item, number in s.execute(
        select(FormValue.site_id, FormValue.item, FormValue.number)
        .join(FormEntry, FormEntry.id == FormValue.entry_id)
        .where(
            FormEntry.form == "cbc",
            FormEntry.voided_at.is_(None),
            FormValue.derived.is_(False),
            FormValue.item.in_(GRADING),
            FormValue.number.is_not(None),
        )
    ):
        graded[codes[site_id]] += 1
        severe[codes[site_id]] += (ctcae_grade(item, number) or 0) >= 3
    report = key_risk_indicators(s, MONITOR, now=AS_OF)
    for site in report.sites():
        row = report.row("LB", site)
        assert row is not None
        assert (row.numerator, row.denominator) == (severe[site], graded[site])
    assert sum(severe.values()) > 0  # severe COVID-19: lymphopenia below 0.5 × 10^9/L


def test_the_records_behind_lb_name_the_value_and_its_grade(world):
    _, sites = kri_records(world.session, MONITOR, "LB", now=AS_OF)
    records = [r for site in sites for r in site.records]
    assert records and all(" grade " in r and "cbc." in r for r in records)
    assert all(int(r.rsplit(" ", 1)[1]) >= 3 for r in records)
