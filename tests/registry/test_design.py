"""A record's design read into the extract contract and a Protocol, judged by the guidance."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from msctrial.protocol.model import Allocation, ArmType, Masking, Measure, ProductKind, Severity
from msctrial.registry.design import extract_design
from msctrial.registry.dosetext import quantities
from msctrial.registry.formats import from_api_v2
from msctrial.registry.protocol_of import measure_of, stated_severity
from tests.registry.records import arm, intervention, msc_placebo_trial, v2_study

CONTRACT = {
    "trial_id", "registry", "nct_id", "combined_with", "is_msc_trial", "product_type", "cell_source", "donor", "dose_value", "dose_unit",
    "dose_levels", "administrations", "schedule_days", "min_interval_days", "route", "phases",
    "enrollment", "countries", "primary_outcomes", "evidence", "findings",
}  # fmt: skip


def design_of(study, **kw):
    return extract_design(from_api_v2(study), **kw)


def rules(design) -> dict[str, str]:
    return {f.rule: f.level for f in design.findings}


def test_the_extract_contract_has_exactly_the_fields_of_the_issue():
    d = design_of(msc_placebo_trial()).design
    assert set(d.to_json()) == CONTRACT


def test_a_guidance_conforming_trial_is_read_whole_with_evidence_for_every_field():
    study = msc_placebo_trial(
        dose_text="Allogeneic UC-MSCs 1*10E6 cells/kg body weight intravenously at Day 0, Day 3, Day 6",
        criteria="Inclusion Criteria:\n\n* Severe or critical COVID-19 pneumonia\n\nExclusion Criteria:\n\n* Mild cases",
        secondary=(("Fever, chills, allergic reaction and local inflammation", "Day 180"),),
        primary=(("Oxygenation index (PaO2/FiO2)", "Day 28"),),
    )
    result = design_of(study)
    d = result.design
    assert (d.is_msc_trial, d.product_type, d.cell_source, d.donor) == (
        True,
        "cells",
        "umbilical_cord",
        "allogeneic",
    )
    assert (d.dose_value, d.dose_unit, d.administrations) == (1e6, "cells/kg", 3)
    assert (d.schedule_days, d.min_interval_days, d.route) == ([0, 3, 6], 3, "intravenous")
    for field in ("is_msc_trial", "product_type", "cell_source", "donor", "dose_value", "administrations",
                  "schedule_days", "min_interval_days", "route", "phases", "enrollment", "countries",
                  "primary_outcomes", "placebo", "allocation", "masking", "eligibility.severity"):  # fmt: skip
        assert field in d.evidence, field
    assert "1*10E6 cells/kg" in d.evidence["dose_value"].text
    p = result.protocol
    assert p is not None and p.design.allocation is Allocation.randomised
    assert p.design.masking is Masking.quadruple and p.eligibility.severity == [
        Severity.severe,
        Severity.critical,
    ]
    assert [a.type for a in p.arms] == [ArmType.experimental, ArmType.placebo]
    assert "albumin" in (p.arms[1].vehicle or "")
    assert p.endpoints.primary[0].measure is Measure.oxygenation_index
    assert d.findings == [], rules(d)  # meets every rule


@pytest.mark.parametrize(
    "dose_text, rule, level",
    [
        ("0.5*10E6 UC-MSCs/kg at Day 1, Day 4, Day 7", "dose_per_kg_low", "deviation"),
        ("1*10E7 UC-MSCs/kg at Day 1, Day 4, Day 7", "dose_per_kg_high", "deviation"),
        ("1*10E6 UC-MSCs/kg at Day 1, Day 3, Day 5, Day 7", "too_many_infusions", "deviation"),
        ("1*10E6 UC-MSCs/kg at Day 1, Day 3, Day 5", "interval_short", "deviation"),
        ("4.0*10E7 UC-MSCs per time at Day 0, Day 3, Day 6", "dose_per_kg_low", "deviation"),
        (
            "8.0*10E7 UC-MSCs per time at Day 0, Day 3, Day 6",
            "dose_per_kg_low",
            "advice",
        ),  # heavy patients only
    ],
)
def test_a_registered_design_outside_the_guidance_gets_the_protocol_rules_findings(
    dose_text, rule, level
):
    d = design_of(msc_placebo_trial(dose_text=dose_text)).design
    assert rules(d).get(rule) == level


def test_a_fourth_optional_dose_counts_toward_the_maximum():
    study = msc_placebo_trial(
        dose_text="1*10E6 UC-MSCs /kg, a total of 3 times, once every 3 days; depending on the condition "
        "it may be given again at an interval of 1 week",
    )
    d = design_of(study).design
    assert d.administrations == 4 and d.schedule_days == [0, 3, 6, 13]
    assert rules(d)["too_many_infusions"] == "deviation"


def test_once_every_four_days_four_times_becomes_days_0_4_8_12():
    d = design_of(
        msc_placebo_trial(
            dose_text="umbilical cord mesenchymal stem cells were given at 106/Kg body weight / time, once every 4 days for a total of 4 times"
        )
    ).design
    assert (d.dose_value, d.dose_unit) == (1e6, "cells/kg")
    assert (d.schedule_days, d.min_interval_days, d.administrations) == ([0, 4, 8, 12], 4, 4)


def test_a_dose_written_only_in_the_arm_is_found_there():
    study = msc_placebo_trial(
        dose_text="UC-MSCs infusion intravenously on day 1, day 3, day 5, and day 7."
    )
    study["protocolSection"]["armsInterventionsModule"]["armGroups"][0]["description"] = (
        "All subjects will receive UC-MSCs 3.3 * 107 cell number / 50ml / bag, 3 bags each time."
    )
    d = design_of(study).design
    assert d.dose_value == pytest.approx(9.9e7) and d.dose_unit == "cells"
    assert d.evidence["dose_value"].source == "armsInterventionsModule.armGroups[0].description"
    assert d.administrations == 4


def test_a_dose_in_the_detailed_description_is_used_when_arms_and_interventions_are_silent():
    study = msc_placebo_trial(
        dose_text="Injection on day 1, 3 and 7 of the trial.",
        description="Earlier trials used 2x10^6 cells/kg and were safe. Injection dose: 1.0x106 cells /kg.",
    )
    d = design_of(study).design
    assert d.dose_value == 1e6  # not the earlier trials' dose
    assert d.evidence["dose_value"].source == "descriptionModule.detailedDescription"
    assert d.evidence["dose_value"].text == "Injection dose: 1.0x106 cells /kg."


def test_dose_escalation_cohorts_become_dose_levels():
    arms = [
        arm(
            f"Cohort {i}",
            "EXPERIMENTAL",
            f"5 intravenous infusions of adipose MSCs at {n} million cells/dose.",
            "Biological: AD-MSC",
        )
        for i, n in enumerate((50, 100, 200), start=1)
    ]
    study = v2_study(
        arms=arms,
        interventions=[
            intervention("AD-MSC", "Allogeneic adipose MSCs", tuple(a["label"] for a in arms))
        ],
    )
    d = design_of(study).design
    assert d.dose_value is None and d.dose_unit is None
    assert [(x.value, x.unit) for x in d.dose_levels] == [
        (5e7, "cells"),
        (1e8, "cells"),
        (2e8, "cells"),
    ]
    found = {q.value for q in quantities(d.evidence["dose_levels"].text)}
    assert {5e7, 1e8, 2e8} <= found


def test_unknown_stays_null_and_the_rules_stay_silent_about_it():
    study = v2_study(
        title="Mesenchymal stromal cells for COVID-19",
        arms=[arm("MSC", "EXPERIMENTAL", None, "Biological: MSC")],
        interventions=[intervention("Mesenchymal stromal cells", None, ("MSC",))],
        allocation=None, masking=None, primary=(), secondary=(), criteria=None, summary=None,
        model="SINGLE_GROUP", countries=(), enrollment=None, phases=[],
    )  # fmt: skip
    d = design_of(study).design
    assert d.is_msc_trial
    for field in (
        "donor",
        "dose_value",
        "dose_unit",
        "administrations",
        "schedule_days",
        "min_interval_days",
        "route",
        "enrollment",
    ):
        assert getattr(d, field) is None, field
    assert d.cell_source == "unspecified" and d.dose_levels == []
    assert not any(f.level == "deviation" for f in d.findings), rules(d)


def test_vesicles_inhaled_five_times_are_an_msc_product_with_a_particle_dose():
    study = v2_study(
        title="Inhaled exosomes for COVID-19",
        official_title="Aerosol inhalation of exosomes derived from allogenic adipose mesenchymal stem cells",
        arms=[arm("Exosomes", "EXPERIMENTAL", None, "Biological: MSCs-derived exosomes")],
        interventions=[intervention("MSCs-derived exosomes", "5 times aerosol inhalation of MSCs-derived exosomes (2.0*10E8 nano vesicles/3 ml at Day 1, Day 2, Day 3, Day 4, Day 5).", ("Exosomes",))],
    )  # fmt: skip
    d = design_of(study).design
    assert (d.product_type, d.cell_source, d.route) == (
        "extracellular_vesicles",
        "adipose",
        "inhalation",
    )
    assert (d.dose_value, d.dose_unit, d.administrations) == (2e8, "particles", 5)
    assert "dose_per_kg_low" not in rules(d)  # a particle dose is not judged as cells/kg


def test_a_secretome_is_an_msc_derived_product():
    study = v2_study(
        title="Menstrual blood stem cell secretome in severe COVID-19",
        arms=[arm("Secretome", "EXPERIMENTAL", "Secretome of menstrual blood MSCs daily for 5 days", "Biological: Secretome")],
        interventions=[intervention("Allogeneic human menstrual blood stem cells secretome", "intravenous, Day 1, Day 2, Day 3, Day 4, Day 5", ("Secretome",))],
    )  # fmt: skip
    d = design_of(study).design
    assert (d.is_msc_trial, d.product_type, d.cell_source) == (True, "secretome", "menstrual_blood")


@pytest.mark.parametrize(
    "name, description, title, study_type, expected",
    [
        ("Tocilizumab", "8 mg/kg IV", "Tocilizumab for COVID-19", "INTERVENTIONAL", False),
        (
            "CAP-1002",
            "150 million allogeneic cardiosphere-derived cells",
            "CAP-1002 in COVID-19",
            "INTERVENTIONAL",
            False,
        ),
        (
            "EXO-CD24",
            "exosomes engineered to overexpress CD24, inhaled",
            "CD24 exosomes",
            "INTERVENTIONAL",
            False,
        ),
        (
            "Bone Marrow Harvest",
            "bone marrow for production of BM-MSC",
            "Collect bone marrow for BM-MSC",
            "OBSERVATIONAL",
            False,
        ),
        ("UC-MSCs", "1 infusion", "Cells for COVID-19", "INTERVENTIONAL", True),
        (
            "PrimePro",
            "Intravenous Injection",
            "Mesenchymal Stem Cells for the Treatment of COVID-19",
            "INTERVENTIONAL",
            True,
        ),
        ("Remestemcel-L", "2x10^6 cells/kg", "ARDS trial", "INTERVENTIONAL", True),
        ("Remestemcel-L", "2x10^6 cells/kg", "Expanded access", "EXPANDED_ACCESS", True),
    ],
)
def test_an_msc_trial_is_one_whose_arms_give_mscs(name, description, title, study_type, expected):
    study = v2_study(
        title=title, study_type=study_type,
        arms=[arm("Treated", "EXPERIMENTAL", None, f"Biological: {name}")],
        interventions=[intervention(name, description, ("Treated",))],
        summary="Mesenchymal stem cells (MSCs) have been studied in ARDS.",  # background only
    )  # fmt: skip
    assert design_of(study).design.is_msc_trial is expected


def test_vesicles_of_unnamed_origin_are_msc_derived_only_when_the_record_says_so():
    def trial(description: str | None, keywords: tuple[str, ...]):
        return v2_study(
            title="Exosome inhalation in COVID-19 pneumonia", description=description, keywords=keywords,
            arms=[arm("EXO", "EXPERIMENTAL", None, "Drug: EXO inhalation")],
            interventions=[intervention("EXO inhalation", "3 ml with 0.5-2x10^10 nanoparticles (exosomes)", ("EXO",), "DRUG")],
            summary=None,
        )  # fmt: skip

    assert design_of(
        trial("MSC-derived exosomes regulate inflammation.", ("exosomes", "MSC"))
    ).design.is_msc_trial
    assert not design_of(
        trial("Exosomes regulate inflammation.", ("exosomes",))
    ).design.is_msc_trial


@pytest.mark.parametrize(
    "text, measure",
    [("PaO2/FiO2", Measure.oxygenation_index), ("Size of lesion area by chest CT", Measure.lung_imaging),
     ("The immune function (TNF-α, IL-6, CRP)", Measure.inflammatory_factors), ("TTCI", Measure.time_to_clinical_improvement),
     ("28-day mortality", Measure.mortality), ("Blood oxygen saturation", Measure.spo2),
     ("Number of infusion associated adverse events", Measure.infusion_reactions), ("Adverse events", Measure.adverse_events),
     ("Quality of life", None)],
)  # fmt: skip
def test_outcomes_are_mapped_to_the_guidance_measures(text, measure):
    assert measure_of(text) is measure


@pytest.mark.parametrize(
    "criteria, expected",
    [
        ("Inclusion Criteria:\n* Severe or critical COVID-19\nExclusion Criteria:\n* mild disease", [Severity.severe, Severity.critical]),
        ("Inclusion Criteria:\n* Confirmed SARS-CoV-2 (severe acute respiratory syndrome)", None),
        ("Inclusion Criteria:\n* moderate to severe COVID-19 pneumonia", [Severity.moderate, Severity.severe]),
        ("Inclusion Criteria:\n* common type progressing to severe", [Severity.moderate_progressing]),
        (None, None),
    ],
)  # fmt: skip
def test_eligible_severity_is_taken_only_where_the_criteria_state_it(criteria, expected):
    found = stated_severity(criteria)
    assert (found[0] if found else None) == expected


def test_mild_patients_in_the_criteria_are_an_indication_finding():
    d = design_of(
        msc_placebo_trial(criteria="Inclusion Criteria:\n* Mild or moderate COVID-19 cases\n")
    ).design
    assert "indication" in rules(d)


def test_an_msc_trial_without_arms_still_becomes_a_protocol():
    study = v2_study(
        study_type="EXPANDED_ACCESS",
        arms=[],
        interventions=[intervention("Remestemcel-L", "2x10^6 MSC/kg IV, twice", ())],
    )
    result = design_of(study)
    assert result.protocol is not None and result.protocol.arms[0].product is ProductKind.cells
    assert result.design.administrations == 2


words = st.sampled_from(
    ["MSC", "mesenchymal", "1.0x106 cells/kg", "Day 0, Day 3", "3 times", "every 4 days", "106/Kg",
     "3 bags each time", "exosomes", "placebo", "saline", "IV", "inhalation", "（", "）", "，", "\n", ";", ".",
     "up to", "once", "Wharton's jelly", "allogeneic", "million", "10E7", "x", "*", " "]
)  # fmt: skip
free_text = st.one_of(st.lists(words, max_size=40).map(" ".join), st.text(max_size=200))


@settings(max_examples=150, deadline=None, derandomize=True)
@given(arm_text=free_text, iv_text=free_text, description=free_text)
def test_random_registry_text_never_crashes_the_extractor(arm_text, iv_text, description):
    study = v2_study(
        arms=[
            arm("A", "EXPERIMENTAL", arm_text, "Biological: X"),
            arm("B", "PLACEBO_COMPARATOR", description),
        ],
        interventions=[intervention("X", iv_text, ("A",))],
        description=description,
    )
    d = design_of(study).design
    for level in d.dose_levels:  # every dose is found again in its evidence
        key = "dose_value" if d.dose_value is not None else "dose_levels"
        assert any(q.value == pytest.approx(level.value) for q in quantities(d.evidence[key].text))
