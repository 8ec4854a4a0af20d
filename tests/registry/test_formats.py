"""Each registry format reads into the same Study; malformed records say why they are refused."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from msctrial.protocol.model import Phase
from msctrial.registry.classic_xml import from_classic_xml
from msctrial.registry.formats import (
    BadRecord,
    enum_name,
    from_api_v2,
    from_json_object,
    from_legacy,
    iso_date,
    unmarkdown,
)
from tests.registry.records import msc_placebo_trial, to_legacy, to_xml, v2_study


def test_api_v2_study_reads_its_design_fields():
    s = from_api_v2(
        msc_placebo_trial(phases=["PHASE1", "PHASE2"], countries=("China", "China", "Japan"))
    )
    assert s.trial_id == "NCT09000001"
    assert s.source_format == "api_v2"
    assert s.phases == [Phase.PHASE1, Phase.PHASE2]
    assert s.allocation == "RANDOMIZED" and s.masking == "QUADRUPLE"
    assert s.enrollment == 40
    assert s.countries == ["China", "Japan"]  # gathered from locations, once each
    assert [a.label for a in s.arms] == ["UC-MSC", "Placebo"]
    assert s.interventions[0].arm_group_labels == ["UC-MSC"]
    assert s.primary_outcomes[0].time_frame == "Day 14"
    assert s.start_date == "2020-04-15"


def test_the_three_formats_read_into_the_same_study():
    study = msc_placebo_trial(description="Detailed text.\n\nSecond paragraph.")
    v2 = from_api_v2(study)
    legacy = from_legacy(to_legacy(study))
    xml = from_classic_xml(ET.fromstring(to_xml(study)))
    fields = ["trial_id", "brief_title", "overall_status", "start_date", "phases", "allocation",
              "intervention_model", "masking", "enrollment", "arms", "interventions",
              "primary_outcomes", "countries", "detailed_description", "lead_sponsor"]  # fmt: skip
    for other in (legacy, xml):
        for f in fields:
            ours, theirs = getattr(v2, f), getattr(other, f)
            if f == "arms" and other is xml:  # classic XML arms carry no intervention names
                ours = [a.model_copy(update={"intervention_names": []}) for a in ours]
            assert theirs == ours, (other.source_format, f)
    assert "Severe or critical" in (xml.eligibility_criteria or "")
    assert legacy.data_version == xml.data_version == "2024-06-01"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Active, not recruiting", "ACTIVE_NOT_RECRUITING"),
        ("None (Open Label)", "NONE"),
        ("Double (Participant, Investigator)", "DOUBLE"),
        ("Single Group Assignment", "SINGLE_GROUP"),
        ("N/A", "NA"),
        ("Placebo Comparator", "PLACEBO_COMPARATOR"),
        ("", None),
    ],
)
def test_legacy_values_become_api_v2_enumerations(text, expected):
    assert enum_name(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [("March 5, 2020", "2020-03-05"), ("December 2020", "2020-12"), ("2015-08", "2015-08"),
     ("February 30, 2020", "2020-02"), ("soon", None), (None, None)],
)  # fmt: skip
def test_registry_dates_become_iso_dates(text, expected):
    assert iso_date(text) == expected


def test_markdown_escapes_of_api_v2_text_are_undone():
    assert unmarkdown(r"SpO2 \< 93% and age \> 18") == "SpO2 < 93% and age > 18"


@pytest.mark.parametrize(
    "data, reason",
    [
        ({"protocolSection": {"identificationModule": {}}}, "no NCT id"),
        ({"protocolSection": {"identificationModule": {"nctId": "12345"}}}, "no NCT id"),
        ({"ProtocolSection": {"IdentificationModule": {"NCTId": None}}}, "no NCT id"),
        ({"Rank": 1, "NCTId": ["NCT04252118"], "InterventionDescription": []}, "study_fields"),
        ([1, 2], "expected a JSON object"),
        ({"protocolSection": "oops"}, "no protocolSection"),
    ],
)
def test_a_record_that_is_not_a_study_is_refused_with_its_reason(data, reason):
    with pytest.raises(BadRecord, match=reason):
        from_json_object(data)


def test_an_xml_file_that_is_not_a_clinical_study_is_refused():
    with pytest.raises(BadRecord, match="not <clinical_study>"):
        from_classic_xml(ET.fromstring("<html><body/></html>"))


def test_a_wrongly_typed_field_is_refused_naming_the_study_and_field():
    study = v2_study()
    study["protocolSection"]["conditionsModule"]["keywords"] = [{"not": "a string"}]
    with pytest.raises(BadRecord, match="NCT09000001: keywords"):
        from_api_v2(study)


def test_an_unparseable_phase_or_enrolment_is_unknown_rather_than_an_error():
    study = v2_study(phases=["PHASE9"])
    study["protocolSection"]["designModule"]["enrollmentInfo"]["count"] = "many"
    s = from_api_v2(study)
    assert s.phases == [] and s.enrollment is None
