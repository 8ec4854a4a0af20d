"""Small registry records of our own, in the real shapes (API v2, legacy full_studies JSON,
classic XML), so the suite runs on a bare clone. ``v2_study`` builds one study; ``to_legacy``
and ``to_xml`` write the same study in the older formats."""

from __future__ import annotations

import json
from typing import Any
from xml.sax.saxutils import escape

Arm = dict[str, Any]


def arm(
    label: str, type_: str = "EXPERIMENTAL", description: str | None = None, *names: str
) -> Arm:
    out: Arm = {"label": label, "type": type_, "interventionNames": list(names)}
    if description is not None:
        out["description"] = description
    return out


def intervention(
    name: str,
    description: str | None = None,
    arms: tuple[str, ...] = (),
    type_: str = "BIOLOGICAL",
    other_names: tuple[str, ...] = (),
) -> dict[str, Any]:
    out: dict[str, Any] = {"type": type_, "name": name, "armGroupLabels": list(arms)}
    if description is not None:
        out["description"] = description
    if other_names:
        out["otherNames"] = list(other_names)
    return out


def msc_placebo_trial(
    nct: str = "NCT09000001",
    dose_text: str = "4.0*10E7 UC-MSCs per time, intravenously at Day 0, Day 3, Day 6",
    **changes: Any,
) -> dict[str, Any]:
    """A randomised, placebo-controlled umbilical-cord MSC trial; ``dose_text`` is the MSC
    intervention's description."""
    arms = [
        arm("UC-MSC", "EXPERIMENTAL", "Standard care plus UC-MSCs", "Biological: UC-MSCs"),
        arm("Placebo", "PLACEBO_COMPARATOR", "Standard care plus placebo", "Other: Placebo"),
    ]
    interventions = [
        intervention("UC-MSCs", dose_text, ("UC-MSC",)),
        intervention(
            "Placebo", "Normal saline with 1% human albumin at the same days", ("Placebo",), "OTHER"
        ),
    ]
    return v2_study(nct, arms=arms, interventions=interventions, **changes)


def v2_study(
    nct: str = "NCT09000001",
    *,
    title: str = "Umbilical cord mesenchymal stem cells for severe COVID-19",
    official_title: str | None = None,
    arms: list[Arm] | None = None,
    interventions: list[dict[str, Any]] | None = None,
    phases: list[str] | None = None,
    enrollment: int | None = 40,
    status: str = "RECRUITING",
    start: str | None = "2020-04-15",
    countries: tuple[str, ...] = ("China",),
    allocation: str | None = "RANDOMIZED",
    model: str = "PARALLEL",
    model_description: str | None = None,
    masking: str | None = "QUADRUPLE",
    primary: tuple[tuple[str, str], ...] = (("PaO2/FiO2", "Day 14"),),
    secondary: tuple[tuple[str, str], ...] = (
        ("Incidence of fever, chills and allergic reaction", "Day 28"),
    ),
    summary: str | None = "Severe COVID-19 patients receive MSCs or placebo.",
    description: str | None = None,
    study_type: str = "INTERVENTIONAL",
    criteria: str
    | None = "Inclusion Criteria:\n\n* Severe or critical COVID-19\n\nExclusion Criteria:\n\n* Pregnancy",
    keywords: tuple[str, ...] = (),
    sponsor: str = "Test University Hospital",
) -> dict[str, Any]:
    design: dict[str, Any] = {"studyType": study_type}
    if phases is not None or study_type == "INTERVENTIONAL":
        design["phases"] = phases if phases is not None else ["PHASE2"]
    info: dict[str, Any] = {"interventionModel": model, "primaryPurpose": "TREATMENT"}
    if allocation:
        info["allocation"] = allocation
    if model_description:
        info["interventionModelDescription"] = model_description
    if masking:
        info["maskingInfo"] = {"masking": masking}
    design["designInfo"] = info
    if enrollment is not None:
        design["enrollmentInfo"] = {"count": enrollment, "type": "ESTIMATED"}
    protocol: dict[str, Any] = {
        "identificationModule": {
            "nctId": nct,
            "briefTitle": title,
            "organization": {"fullName": sponsor, "class": "OTHER"},
        },
        "statusModule": {"overallStatus": status},
        "sponsorCollaboratorsModule": {"leadSponsor": {"name": sponsor, "class": "OTHER"}},
        "descriptionModule": {},
        "conditionsModule": {"conditions": ["COVID-19"], "keywords": list(keywords)},
        "designModule": design,
        "armsInterventionsModule": {
            "armGroups": arms or [],
            "interventions": interventions or [],
        },
        "outcomesModule": {
            "primaryOutcomes": [{"measure": m, "timeFrame": t} for m, t in primary],
            "secondaryOutcomes": [{"measure": m, "timeFrame": t} for m, t in secondary],
        },
        "eligibilityModule": {"sex": "ALL", "minimumAge": "18 Years"},
        "contactsLocationsModule": {
            "locations": [
                {"facility": f"Site {i}", "city": "X", "country": c}
                for i, c in enumerate(countries)
            ]
        },
    }
    if official_title:
        protocol["identificationModule"]["officialTitle"] = official_title
    if start:
        protocol["statusModule"]["startDateStruct"] = {"date": start, "type": "ACTUAL"}
    if summary:
        protocol["descriptionModule"]["briefSummary"] = summary
    if description:
        protocol["descriptionModule"]["detailedDescription"] = description
    if criteria:
        protocol["eligibilityModule"]["eligibilityCriteria"] = criteria
    return {
        "protocolSection": protocol,
        "derivedSection": {"miscInfoModule": {"versionHolder": "2024-06-01"}},
        "hasResults": False,
    }


def page(
    studies: list[dict[str, Any]], token: str | None = None, total: int | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {"studies": studies}
    if token:
        out["nextPageToken"] = token
    if total is not None:
        out["totalCount"] = total
    return out


def dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


# --- the same study in the older formats -----------------------------------------------------

_HUMAN = {
    "PHASE1": "Phase 1", "PHASE2": "Phase 2", "PHASE3": "Phase 3", "EARLY_PHASE1": "Early Phase 1",
    "NA": "Not Applicable", "RANDOMIZED": "Randomized", "NON_RANDOMIZED": "Non-Randomized",
    "QUADRUPLE": "Quadruple", "NONE": "None (Open Label)", "DOUBLE": "Double", "TRIPLE": "Triple",
    "PARALLEL": "Parallel Assignment", "SINGLE_GROUP": "Single Group Assignment",
    "EXPERIMENTAL": "Experimental", "PLACEBO_COMPARATOR": "Placebo Comparator",
    "NO_INTERVENTION": "No Intervention", "BIOLOGICAL": "Biological", "OTHER": "Other",
    "DRUG": "Drug", "RECRUITING": "Recruiting", "COMPLETED": "Completed",
    "INTERVENTIONAL": "Interventional", "OBSERVATIONAL": "Observational",
}  # fmt: skip
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def _human(value: str) -> str:
    return _HUMAN.get(value, value)


def _date(iso: str) -> str:
    parts = iso.split("-")
    month = _MONTHS[int(parts[1]) - 1]
    return f"{month} {int(parts[2])}, {parts[0]}" if len(parts) == 3 else f"{month} {parts[0]}"


def to_legacy(study: dict[str, Any]) -> dict[str, Any]:
    p = study["protocolSection"]
    d, ai = p["designModule"], p["armsInterventionsModule"]
    info = d.get("designInfo", {})
    masking = info.get("maskingInfo", {}).get("masking")
    legacy: dict[str, Any] = {
        "IdentificationModule": {
            "NCTId": p["identificationModule"]["nctId"],
            "BriefTitle": p["identificationModule"]["briefTitle"],
            "Organization": {"OrgFullName": p["identificationModule"]["organization"]["fullName"]},
        },
        "StatusModule": {"OverallStatus": _human(p["statusModule"]["overallStatus"])},
        "SponsorCollaboratorsModule": {
            "LeadSponsor": {
                "LeadSponsorName": p["sponsorCollaboratorsModule"]["leadSponsor"]["name"]
            }
        },
        "DescriptionModule": {k[0].upper() + k[1:]: v for k, v in p["descriptionModule"].items()},
        "ConditionsModule": {"ConditionList": {"Condition": p["conditionsModule"]["conditions"]}},
        "DesignModule": {
            "StudyType": _human(d["studyType"]),
            "PhaseList": {"Phase": [_human(x) for x in d.get("phases", [])]},
            "DesignInfo": {
                "DesignAllocation": _human(info.get("allocation", "N/A")),
                "DesignInterventionModel": _human(info["interventionModel"]),
                **({"DesignMaskingInfo": {"DesignMasking": _human(masking)}} if masking else {}),
            },
        },
        "ArmsInterventionsModule": {
            "ArmGroupList": {
                "ArmGroup": [
                    {
                        "ArmGroupLabel": a["label"],
                        "ArmGroupType": _human(a["type"]),
                        **({"ArmGroupDescription": a["description"]} if "description" in a else {}),
                        "ArmGroupInterventionList": {
                            "ArmGroupInterventionName": a["interventionNames"]
                        },
                    }
                    for a in ai["armGroups"]
                ]
            },
            "InterventionList": {
                "Intervention": [
                    {
                        "InterventionType": _human(i["type"]),
                        "InterventionName": i["name"],
                        **(
                            {"InterventionDescription": i["description"]}
                            if "description" in i
                            else {}
                        ),
                        "InterventionArmGroupLabelList": {
                            "InterventionArmGroupLabel": i["armGroupLabels"]
                        },
                    }
                    for i in ai["interventions"]
                ]
            },
        },
        "OutcomesModule": {
            "PrimaryOutcomeList": {
                "PrimaryOutcome": [
                    {
                        "PrimaryOutcomeMeasure": o["measure"],
                        "PrimaryOutcomeTimeFrame": o["timeFrame"],
                    }
                    for o in p["outcomesModule"]["primaryOutcomes"]
                ]
            },
            "SecondaryOutcomeList": {
                "SecondaryOutcome": [
                    {
                        "SecondaryOutcomeMeasure": o["measure"],
                        "SecondaryOutcomeTimeFrame": o["timeFrame"],
                    }
                    for o in p["outcomesModule"]["secondaryOutcomes"]
                ]
            },
        },
        "EligibilityModule": {
            "EligibilityCriteria": p["eligibilityModule"].get("eligibilityCriteria"),
            "MinimumAge": "18 Years",
        },
        "ContactsLocationsModule": {
            "LocationList": {
                "Location": [
                    {"LocationFacility": loc["facility"], "LocationCountry": loc["country"]}
                    for loc in p["contactsLocationsModule"]["locations"]
                ]
            }
        },
    }
    if "enrollmentInfo" in d:
        legacy["DesignModule"]["EnrollmentInfo"] = {
            "EnrollmentCount": str(d["enrollmentInfo"]["count"]),
            "EnrollmentType": "Anticipated",
        }
    if "startDateStruct" in p["statusModule"]:
        legacy["StatusModule"]["StartDateStruct"] = {
            "StartDate": _date(p["statusModule"]["startDateStruct"]["date"])
        }
    return {
        "ProtocolSection": legacy,
        "DerivedSection": {"MiscInfoModule": {"VersionHolder": "June 1, 2024"}},
    }


def _el(tag: str, text: str | None) -> str:
    return "" if text is None else f"<{tag}>{escape(text)}</{tag}>"


def _block(tag: str, text: str | None) -> str:
    if text is None:
        return ""
    wrapped = "\n".join("        " + line for line in escape(text).splitlines())
    return f"<{tag}>\n      <textblock>\n{wrapped}\n      </textblock>\n    </{tag}>"


def to_xml(study: dict[str, Any]) -> str:
    p = study["protocolSection"]
    d, ai = p["designModule"], p["armsInterventionsModule"]
    info = d.get("designInfo", {})
    phases = "/".join(_human(x) for x in d.get("phases", [])) or None
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<clinical_study rank="1">',
        "<required_header><download_date>ClinicalTrials.gov processed this data on June 1, 2024</download_date></required_header>",
        f"<id_info>{_el('nct_id', p['identificationModule']['nctId'])}</id_info>",
        _el("brief_title", p["identificationModule"]["briefTitle"]),
        f"<sponsors><lead_sponsor>{_el('agency', p['sponsorCollaboratorsModule']['leadSponsor']['name'])}</lead_sponsor></sponsors>",
        _el("source", p["identificationModule"]["organization"]["fullName"]),
        _block("brief_summary", p["descriptionModule"].get("briefSummary")),
        _block("detailed_description", p["descriptionModule"].get("detailedDescription")),
        _el("overall_status", _human(p["statusModule"]["overallStatus"])),
        _el(
            "start_date",
            _date(p["statusModule"]["startDateStruct"]["date"])
            if "startDateStruct" in p["statusModule"]
            else None,
        ),
        _el("phase", phases),
        _el("study_type", _human(d["studyType"])),
        "<study_design_info>"
        + _el("allocation", _human(info.get("allocation", "N/A")))
        + _el("intervention_model", _human(info["interventionModel"]))
        + _el("masking", _human(info["maskingInfo"]["masking"]) if "maskingInfo" in info else None)
        + "</study_design_info>",
        *(
            f"<primary_outcome>{_el('measure', o['measure'])}{_el('time_frame', o['timeFrame'])}</primary_outcome>"
            for o in p["outcomesModule"]["primaryOutcomes"]
        ),
        *(
            f"<secondary_outcome>{_el('measure', o['measure'])}{_el('time_frame', o['timeFrame'])}</secondary_outcome>"
            for o in p["outcomesModule"]["secondaryOutcomes"]
        ),
        _el("enrollment", str(d["enrollmentInfo"]["count"]) if "enrollmentInfo" in d else None),
        *(_el("condition", c) for c in p["conditionsModule"]["conditions"]),
        *(
            "<arm_group>"
            + _el("arm_group_label", a["label"])
            + _el("arm_group_type", _human(a["type"]))
            + _el("description", a.get("description"))
            + "</arm_group>"
            for a in ai["armGroups"]
        ),
        *(
            "<intervention>"
            + _el("intervention_type", _human(i["type"]))
            + _el("intervention_name", i["name"])
            + _el("description", i.get("description"))
            + "".join(_el("arm_group_label", x) for x in i["armGroupLabels"])
            + "</intervention>"
            for i in ai["interventions"]
        ),
        "<eligibility><criteria>"
        + _block("x", p["eligibilityModule"].get("eligibilityCriteria"))
        .replace("<x>", "")
        .replace("</x>", "")
        + "</criteria><minimum_age>18 Years</minimum_age></eligibility>",
        "<location_countries>"
        + "".join(
            _el("country", loc["country"]) for loc in p["contactsLocationsModule"]["locations"]
        )
        + "</location_countries>",
        "</clinical_study>",
    ]
    return "\n".join(x for x in parts if x)
