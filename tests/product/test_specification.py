"""Specifications: the default one, refusing bad files, and judging results against a test."""

from __future__ import annotations

import pytest
import yaml

from msctrial.core.errors import InvalidInput
from msctrial.product import spec_store
from msctrial.product.specification import (
    Level,
    ResultInput,
    evaluate,
    load_specification_text,
    volume_per_kg,
)
from msctrial.product.tables import Specification as SpecRow
from tests.product.conftest import spec_of

MINIMAL = {
    "name": "tiny",
    "version": "1",
    "kind": "cells",
    "title": "A tiny specification",
    "tests": [
        {
            "code": "viability",
            "name": "Viable cells",
            "category": "viability",
            "method": "trypan blue",
            "unit": "%",
            "criterion": {"type": "min", "value": 80},
            "level": "both",
            "source": "CLINICAL_FACTS §5.2",
        }
    ],
}


def _with_test(**changes):  # noqa: ANN003, ANN202
    doc = yaml.safe_load(yaml.safe_dump(MINIMAL))
    doc["tests"][0].update(changes)
    return yaml.safe_dump(doc)


def test_the_default_specification_carries_the_isct_criteria():
    spec = spec_of("msc-default")
    limits = {t.code: (t.criterion.type.value, t.criterion.value) for t in spec.tests}
    for marker in ("cd73", "cd90", "cd105"):
        assert limits[marker] == ("min", 95)  # ISCT, Dominici 2006: ≥95%
    for marker in ("cd45", "cd34", "cd14_or_cd11b", "cd79a_or_cd19", "hla_dr"):
        assert limits[marker] == ("max", 2)  # ISCT: ≤2%
    assert limits["trilineage"] == ("conforms", None)
    assert limits["endotoxin"] == ("max", 5) and spec.test("endotoxin").unit == "EU/kg"
    assert {t.category.value for t in spec.tests} == {
        "identity",
        "purity",
        "potency",
        "viability",
        "cell_count",
        "safety",
    }
    assert all("CLINICAL_FACTS §5" in t.source or t.source.startswith("D") for t in spec.tests)
    release = {t.code for t in spec.tests_for(Level.release)}
    assert {"viability", "cell_count", "sterility", "mycoplasma", "endotoxin", "cd73"} <= release
    assert not {"karyotype", "tumorigenicity", "potency_t_cell"} & release


def test_the_placebo_specification_tests_sterility_endotoxin_and_appearance():
    spec = spec_of("placebo-saline-albumin")
    assert spec.kind.value == "placebo"
    assert {t.code for t in spec.tests} >= {"sterility", "endotoxin", "appearance"}


@pytest.mark.parametrize(
    ("text", "field", "says"),
    [
        (
            _with_test(criterion={"type": "between", "low": 1, "high": 2}),
            "tests[0].criterion.type",
            "'min', 'max', 'range', 'negative' or 'conforms'",
        ),
        (_with_test(unit="EU/kg"), "tests[0].unit", "does not measure a viability test"),
        (_with_test(unit="blorps"), "tests[0].unit", "is not a unit msctrial knows"),
        (_with_test(unit=None), "tests[0].unit", "needs a unit"),
        (_with_test(criterion={"type": "negative"}), "tests[0].unit", "has no unit"),
        (
            _with_test(criterion={"type": "range", "low": 5, "high": 1}),
            "tests[0].criterion",
            "low must be below high",
        ),
        (_with_test(criterion={"type": "min"}), "tests[0].criterion", "takes one 'value'"),
        (_with_test(category="colour"), "tests[0].category", "'identity'"),
        (_with_test(level="sometimes"), "tests[0].level", "'quality', 'release' or 'both'"),
        (_with_test(colour="red"), "tests[0].colour", "unknown key"),
        ("name: [unclosed", "line 1", "malformed YAML"),
        ("- just\n- a list\n", None, "expected a mapping"),
    ],
)
def test_a_bad_specification_is_refused_naming_the_field(text, field, says):
    with pytest.raises(InvalidInput) as exc:
        load_specification_text(text)
    assert exc.value.field == field
    assert says in exc.value.message


def test_a_bad_specification_saves_nothing(session, trial):
    with pytest.raises(
        InvalidInput, match=r"tests\[0\]\.unit: 'EU/kg' does not measure a viability"
    ):
        spec_store.save_specification(session, trial.actor("qc"), _with_test(unit="EU/kg"))
    session.rollback()
    assert session.query(SpecRow).count() == 0


def test_a_changed_specification_needs_a_new_version(session, trial):
    from msctrial.core.errors import Conflict

    qc = trial.actor("qc")
    spec_store.save_specification(session, qc, yaml.safe_dump(MINIMAL))
    again = spec_store.save_specification(session, qc, yaml.safe_dump(MINIMAL))
    assert again.version == "1" and session.query(SpecRow).count() == 1
    with pytest.raises(Conflict, match="new version"):
        spec_store.save_specification(session, qc, _with_test(name="Viable cells, changed"))


@pytest.mark.parametrize(
    ("code", "result", "in_spec"),
    [
        ("cd73", ResultInput(test="cd73", value=95.0, unit="%"), True),
        ("cd73", ResultInput(test="cd73", value=94.9, unit="%"), False),
        ("cd73", ResultInput(test="cd73", value=0.96, unit="dimensionless"), True),
        ("cd45", ResultInput(test="cd45", value=2.0), True),
        ("cd45", ResultInput(test="cd45", value=2.1), False),
        ("cell_count", ResultInput(test="cell_count", value=8.9e7, unit="cells"), False),
        ("cell_count", ResultInput(test="cell_count", value=1.1e8, unit="cells"), True),
        ("sterility", ResultInput(test="sterility", outcome="negative"), True),
        ("sterility", ResultInput(test="sterility", outcome="positive"), False),
        ("trilineage", ResultInput(test="trilineage", outcome="does_not_conform"), False),
    ],
)
def test_results_are_judged_against_their_criterion(code, result, in_spec):
    spec = spec_of("msc-default")
    assert evaluate(spec.test(code), result, volume_per_kg_ml=2.5).in_spec is in_spec


def test_endotoxin_per_kg_is_judged_at_the_highest_dose_from_the_lots_concentration():
    spec = spec_of("msc-default")
    # 1×10^8 cells in 50 mL = 2×10^6 cells/mL; 5×10^6 cells/kg needs 2.5 mL/kg.
    ml_per_kg = volume_per_kg(spec, 1.0e8, 50)
    assert ml_per_kg == pytest.approx(2.5)
    ok = evaluate(
        spec.test("endotoxin"),
        ResultInput(test="endotoxin", value=2.0, unit="EU/mL"),
        volume_per_kg_ml=ml_per_kg,
    )
    assert ok.in_spec and ok.judged == "5 EU/kg"  # 2.0 EU/mL × 2.5 mL/kg
    bad = evaluate(
        spec.test("endotoxin"),
        ResultInput(test="endotoxin", value=2.1, unit="EU/mL"),
        volume_per_kg_ml=ml_per_kg,
    )
    assert not bad.in_spec and "≤ 5 EU/kg" in bad.reason
    direct = evaluate(
        spec.test("endotoxin"), ResultInput(test="endotoxin", value=4.0, unit="EU/kg")
    )
    assert direct.in_spec


@pytest.mark.parametrize(
    ("result", "field"),
    [
        (ResultInput(test="viability", value=92, unit="cells"), "unit"),
        (ResultInput(test="viability", value=120, unit="%"), "value"),
        (ResultInput(test="viability", value=-1, unit="%"), "value"),
        (ResultInput(test="viability", outcome="negative"), "value"),
        (ResultInput(test="sterility", value=1.0), "outcome"),
        (ResultInput(test="sterility", outcome="conforms"), "outcome"),
        (ResultInput(test="endotoxin", value=1.0, unit="EU/mL"), "unit"),  # no dose basis given
    ],
)
def test_a_result_that_cannot_be_judged_is_refused_naming_the_field(result, field):
    spec = spec_of("msc-default")
    with pytest.raises(InvalidInput) as exc:
        evaluate(spec.test(result.test), result)
    assert exc.value.field == field
