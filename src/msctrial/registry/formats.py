"""Each registry format, read into one ``Study`` with API v2 names and enumerations.

API v2 JSON is the current format; the legacy full_studies JSON (PascalCase, list wrappers,
human-readable values) and the classic ``<clinical_study>`` XML are mapped to it as
``../shared/registry/FORMAT.md`` §4 describes. A record that lacks its NCT id, or whose shape is
not a study, raises ``BadRecord`` with the reason; the reader counts and reports it.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import ValidationError

from msctrial.protocol.terms import Phase, parse_phases
from msctrial.registry.ids import linked_ids
from msctrial.registry.model import ArmGroup, Intervention, Outcome, Study

NCT_ID = re.compile(r"^NCT\d{8}$")


class BadRecord(ValueError):
    """A record that is not a readable study; the message says why."""


# --- shared helpers --------------------------------------------------------------------------


def enum_name(text: str | None) -> str | None:
    """'Active, not recruiting' → ACTIVE_NOT_RECRUITING; 'None (Open Label)' → NONE."""
    if text is None or not str(text).strip():
        return None
    value = str(text).strip()
    if value.lower().startswith("none (open label)") or value.lower() == "none":
        return "NONE"
    # classic XML masking: "Double (Participant, Investigator)"
    value = re.sub(r"\s*\(.*\)\s*$", "", value) or value
    if value.upper() in ("N/A", "NA"):
        return "NA"
    name = re.sub(r"[^A-Za-z0-9]+", "_", value).strip("_").upper()
    return name.removesuffix("_ASSIGNMENT")


_MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}


def iso_date(text: str | None) -> str | None:
    """'March 5, 2020' → 2020-03-05, 'December 2020' → 2020-12; ISO text passes through."""
    if not text:
        return None
    value = str(text).strip()
    if re.match(r"^\d{4}(-\d{2}(-\d{2})?)?$", value):
        return value
    m = re.match(r"^([A-Za-z]+)\s+(?:(\d{1,2}),\s*)?(\d{4})$", value)
    if m and m.group(1).lower() in _MONTHS:
        month = _MONTHS[m.group(1).lower()]
        if m.group(2):
            try:
                return dt.date(int(m.group(3)), month, int(m.group(2))).isoformat()
            except ValueError:
                return f"{m.group(3)}-{month:02d}"
        return f"{m.group(3)}-{month:02d}"
    return None


def _int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _phases(values: list[Any]) -> list[Phase]:
    try:
        return parse_phases([v for v in values if v])
    except ValueError:
        return []


def _unique(items: list[str | None]) -> list[str]:
    return list(dict.fromkeys(i.strip() for i in items if i and i.strip()))


_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>|~])")


def unmarkdown(text: str | None) -> str | None:
    """API v2 markup fields are Markdown: '\\<' is '<' (FORMAT.md §1)."""
    return _MD_ESCAPE.sub(r"\1", text) if text else text


def _get(d: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(d, dict):
            return None
        d = d.get(key)
    return d


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _study(**fields: Any) -> Study:
    nct = fields.get("trial_id")
    if not isinstance(nct, str) or not NCT_ID.match(nct.strip()):
        raise BadRecord(f"no NCT id (found {nct!r}); not a ClinicalTrials.gov study record")
    fields["trial_id"] = nct.strip()
    fields["linked_ids"] = linked_ids(fields.get("linked_ids", []), own=fields["trial_id"])
    fields["url"] = f"https://clinicaltrials.gov/study/{fields['trial_id']}"
    return make_study(fields)


def make_study(fields: dict[str, Any]) -> Study:
    """A ``Study`` from reader-built fields; a value of the wrong shape is a ``BadRecord``."""
    try:
        return Study(**fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise BadRecord(f"{fields.get('trial_id')}: {where}: {first.get('msg')}") from None


# --- API v2 ----------------------------------------------------------------------------------


def from_api_v2(data: dict[str, Any]) -> Study:
    """One API v2 study object (``protocolSection`` …)."""
    p = data.get("protocolSection")
    if not isinstance(p, dict):
        raise BadRecord("no protocolSection; not an API v2 study")
    ident = p.get("identificationModule") or {}
    status = p.get("statusModule") or {}
    sponsor = p.get("sponsorCollaboratorsModule") or {}
    design = p.get("designModule") or {}
    info = design.get("designInfo") or {}
    arms = p.get("armsInterventionsModule") or {}
    outcomes = p.get("outcomesModule") or {}
    elig = p.get("eligibilityModule") or {}
    party = sponsor.get("responsibleParty") or {}
    return _study(
        trial_id=ident.get("nctId"),
        registered_on=iso_date(status.get("studyFirstSubmitDate")),
        linked_ids=linked_ids(
            [x.get("id") for x in _list(ident.get("secondaryIdInfos")) if isinstance(x, dict)]
        ),
        source_format="api_v2",
        brief_title=ident.get("briefTitle"),
        official_title=ident.get("officialTitle"),
        organization=_get(ident, "organization", "fullName"),
        lead_sponsor=_get(sponsor, "leadSponsor", "name"),
        responsible_party=party.get("investigatorAffiliation"),
        overall_status=status.get("overallStatus"),
        start_date=iso_date(_get(status, "startDateStruct", "date")),
        data_version=_get(data, "derivedSection", "miscInfoModule", "versionHolder"),
        study_type=design.get("studyType"),
        phases=_phases(_list(design.get("phases"))),
        allocation=info.get("allocation"),
        intervention_model=info.get("interventionModel"),
        intervention_model_description=unmarkdown(info.get("interventionModelDescription")),
        masking=_get(info, "maskingInfo", "masking"),
        enrollment=_int(_get(design, "enrollmentInfo", "count")),
        conditions=_list(_get(p, "conditionsModule", "conditions")),
        keywords=_list(_get(p, "conditionsModule", "keywords")),
        brief_summary=unmarkdown(_get(p, "descriptionModule", "briefSummary")),
        detailed_description=unmarkdown(_get(p, "descriptionModule", "detailedDescription")),
        arms=[
            ArmGroup(
                label=a.get("label") or f"Arm {i + 1}",
                type=a.get("type"),
                description=unmarkdown(a.get("description")),
                intervention_names=_list(a.get("interventionNames")),
            )
            for i, a in enumerate(_list(arms.get("armGroups")))
            if isinstance(a, dict)
        ],
        interventions=[
            Intervention(
                type=i.get("type"),
                name=i.get("name") or "(unnamed)",
                description=unmarkdown(i.get("description")),
                arm_group_labels=_list(i.get("armGroupLabels")),
                other_names=_list(i.get("otherNames")),
            )
            for i in _list(arms.get("interventions"))
            if isinstance(i, dict)
        ],
        primary_outcomes=_v2_outcomes(outcomes.get("primaryOutcomes")),
        secondary_outcomes=_v2_outcomes(outcomes.get("secondaryOutcomes")),
        eligibility_criteria=unmarkdown(elig.get("eligibilityCriteria")),
        minimum_age=elig.get("minimumAge"),
        maximum_age=elig.get("maximumAge"),
        countries=_unique(
            [
                loc.get("country")
                for loc in _list(_get(p, "contactsLocationsModule", "locations"))
                if isinstance(loc, dict)
            ]
        ),
    )


def _v2_outcomes(items: Any) -> list[Outcome]:
    return [
        Outcome(
            measure=o.get("measure") or "(unnamed)",
            description=o.get("description"),
            time_frame=o.get("timeFrame"),
        )
        for o in _list(items)
        if isinstance(o, dict)
    ]


# --- legacy full_studies JSON ----------------------------------------------------------------


def from_legacy(data: dict[str, Any]) -> Study:
    """One classic-API ``Study`` object (``ProtocolSection`` …), or its response wrapper."""
    if "FullStudiesResponse" in data:
        studies = _list(_get(data, "FullStudiesResponse", "FullStudies"))
        if len(studies) != 1:
            raise BadRecord("a FullStudiesResponse with other than one study; split it first")
        data = studies[0].get("Study") or {}
    if "Study" in data and "ProtocolSection" not in data:
        data = data["Study"]
    p = data.get("ProtocolSection")
    if not isinstance(p, dict):
        raise BadRecord("no ProtocolSection; not a legacy full_studies record")
    ident = p.get("IdentificationModule") or {}
    status = p.get("StatusModule") or {}
    sponsor = p.get("SponsorCollaboratorsModule") or {}
    design = p.get("DesignModule") or {}
    info = design.get("DesignInfo") or {}
    arms = p.get("ArmsInterventionsModule") or {}
    outcomes = p.get("OutcomesModule") or {}
    elig = p.get("EligibilityModule") or {}
    party = sponsor.get("ResponsibleParty") or {}

    def outs(kind: str) -> list[Outcome]:
        return [
            Outcome(
                measure=o.get(f"{kind}OutcomeMeasure") or "(unnamed)",
                description=o.get(f"{kind}OutcomeDescription"),
                time_frame=o.get(f"{kind}OutcomeTimeFrame"),
            )
            for o in _list(_get(outcomes, f"{kind}OutcomeList", f"{kind}Outcome"))
            if isinstance(o, dict)
        ]

    return _study(
        trial_id=ident.get("NCTId"),
        registered_on=iso_date(status.get("StudyFirstSubmitDate")),
        linked_ids=linked_ids(
            [
                x.get("SecondaryId")
                for x in _list(_get(ident, "SecondaryIdInfoList", "SecondaryIdInfo"))
                if isinstance(x, dict)
            ]
        ),
        source_format="legacy_full_studies",
        brief_title=ident.get("BriefTitle"),
        official_title=ident.get("OfficialTitle"),
        organization=_get(ident, "Organization", "OrgFullName"),
        lead_sponsor=_get(sponsor, "LeadSponsor", "LeadSponsorName"),
        responsible_party=party.get("ResponsiblePartyInvestigatorAffiliation"),
        overall_status=enum_name(status.get("OverallStatus")),
        start_date=iso_date(_get(status, "StartDateStruct", "StartDate")),
        data_version=iso_date(_get(data, "DerivedSection", "MiscInfoModule", "VersionHolder")),
        study_type=enum_name(design.get("StudyType")),
        phases=_phases(_list(_get(design, "PhaseList", "Phase"))),
        allocation=enum_name(info.get("DesignAllocation")),
        intervention_model=enum_name(info.get("DesignInterventionModel")),
        intervention_model_description=info.get("DesignInterventionModelDescription"),
        masking=enum_name(_get(info, "DesignMaskingInfo", "DesignMasking")),
        enrollment=_int(_get(design, "EnrollmentInfo", "EnrollmentCount")),
        conditions=_list(_get(p, "ConditionsModule", "ConditionList", "Condition")),
        keywords=_list(_get(p, "ConditionsModule", "KeywordList", "Keyword")),
        brief_summary=_get(p, "DescriptionModule", "BriefSummary"),
        detailed_description=_get(p, "DescriptionModule", "DetailedDescription"),
        arms=[
            ArmGroup(
                label=a.get("ArmGroupLabel") or f"Arm {i + 1}",
                type=enum_name(a.get("ArmGroupType")),
                description=a.get("ArmGroupDescription"),
                intervention_names=_list(
                    _get(a, "ArmGroupInterventionList", "ArmGroupInterventionName")
                ),
            )
            for i, a in enumerate(_list(_get(arms, "ArmGroupList", "ArmGroup")))
            if isinstance(a, dict)
        ],
        interventions=[
            Intervention(
                type=enum_name(i.get("InterventionType")),
                name=i.get("InterventionName") or "(unnamed)",
                description=i.get("InterventionDescription"),
                arm_group_labels=_list(
                    _get(i, "InterventionArmGroupLabelList", "InterventionArmGroupLabel")
                ),
                other_names=_list(_get(i, "InterventionOtherNameList", "InterventionOtherName")),
            )
            for i in _list(_get(arms, "InterventionList", "Intervention"))
            if isinstance(i, dict)
        ],
        primary_outcomes=outs("Primary"),
        secondary_outcomes=outs("Secondary"),
        eligibility_criteria=elig.get("EligibilityCriteria"),
        minimum_age=elig.get("MinimumAge"),
        maximum_age=elig.get("MaximumAge"),
        countries=_unique(
            [
                loc.get("LocationCountry")
                for loc in _list(_get(p, "ContactsLocationsModule", "LocationList", "Location"))
                if isinstance(loc, dict)
            ]
        ),
    )


def from_json_object(data: Any) -> Study:
    """A single study in either JSON format, told apart by its top-level keys."""
    if not isinstance(data, dict):
        raise BadRecord(f"expected a JSON object for one study, got {type(data).__name__}")
    if "protocolSection" in data:
        return from_api_v2(data)
    if "ProtocolSection" in data or "Study" in data or "FullStudiesResponse" in data:
        return from_legacy(data)
    raise BadRecord(
        "neither an API v2 study (protocolSection) nor a legacy full_studies record "
        "(ProtocolSection); study_fields and search-result files carry no design and are not read"
    )
