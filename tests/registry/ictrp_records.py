"""Small ICTRP and ChiCTR records written for the suite (never copied from ../shared/), in
the shapes the real exports have: the spreadsheet's column names, DD/MM/YYYY and YYYYMMDD
dates, ChiCTR's per-group target size and intervention, ``<br>`` markup, "Cancelled by the
investigator" titles, and a ChiCTR WHO-format XML with Chinese fields beside the English."""

from __future__ import annotations

import csv
import datetime as dt
import io
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

HEADER = [
    "TrialID", "Last Refreshed on", "Public title", "Scientific title", "Acronym",
    "Primary sponsor", "Date registration", "Date registration3", "Export date",
    "Source Register", "web address", "Recruitment Status", "other records",
    "Inclusion agemin", "Inclusion agemax", "Inclusion gender", "Date enrollement",
    "Target size", "Study type", "Study design", "Phase", "Countries", "Contact Firstname",
    "Contact Lastname", "Contact Address", "Contact Email", "Contact Tel",
    "Contact Affiliation", "Inclusion Criteria", "Exclusion Criteria", "Condition",
    "Intervention", "Primary outcome", "results date posted", "results date completed",
    "results url link", "Retrospective flag", "Bridging flag truefalse", "Bridged type",
    "results yes no",
]  # fmt: skip


def row(trial_id: str, **fields: Any) -> dict[str, Any]:
    """One spreadsheet row; keys are column names with spaces as underscores."""
    base: dict[str, Any] = {
        "TrialID": trial_id,
        "Public title": "Umbilical cord mesenchymal stem cells for severe COVID-19",
        "Scientific title": "A randomised trial of UC-MSCs in severe novel coronavirus pneumonia",
        "Primary sponsor": "A University Hospital, Wuhan, Hubei, China",
        "Date registration": dt.datetime(2020, 2, 18),
        "Date registration3": 20200218,
        "Source Register": "ChiCTR",
        "web address": f"http://www.chictr.org.cn/showproj.aspx?proj={trial_id[-5:]}",
        "Recruitment Status": "Recruiting",
        "Target size": "Experimental group:30;Control group:30;",
        "Study type": "Interventional study",
        "Phase": 0,
        "Countries": "China",
        "Contact Affiliation": "A University Hospital",
        "Inclusion Criteria": "Inclusion criteria: 1. Aged 18-75;_x000D_<br>2. Severe COVID-19.",
        "Intervention": "Experimental group:UC-MSCs 1x10^6 cells/kg intravenous infusion on day 1, "
        "day 4 and day 7;Control group:saline;",
        "Primary outcome": "PaO2/FiO2;28-day mortality;",
        "Bridging flag truefalse": False,
        "Bridged type": "          ",
    }
    for key, value in fields.items():
        base[key.replace("_", " ") if key.replace("_", " ") in HEADER else key] = value
    return base


def msc_rows() -> list[dict[str, Any]]:
    """A small export of every kind the survey must tell apart."""
    return [
        row("ChiCTR2000099901"),
        row(
            "ChiCTR2000099902",
            **{
                "Public title": "Cancelled by the investigator          Cord blood MSCs for COVID-19",
                "Recruitment Status": "Not Recruiting",
                "Date registration3": 20200220,
                "Date registration": dt.datetime(2020, 2, 20),
            },
        ),
        row(
            "ChiCTR2000099903",
            **{
                "Public title": "Ruxolitinib in combination with mesenchymal stem cells for COVID-19",
                "Intervention": "Experimental group:Ruxolitinib combined with mesenchymal stem cell;"
                "control group:  Routine treatment;",
                "Date registration3": 20200301,
                "Date registration": dt.datetime(2020, 3, 1),
                "Phase": dt.datetime(2020, 2, 1),  # "1-2", as a spreadsheet reads it
            },
        ),
        row(
            "ChiCTR2000099904",
            **{
                "Public title": "Mesenchymal stem cells exosomes atomization for COVID-19",
                "Intervention": "Exosome group:Aerosol inhalation of exosomes;Control group:Blank;",
                "Recruitment Status": "Not Recruiting",
                "Date registration3": 20200710,
                "Date registration": dt.datetime(2020, 7, 10),
                "Phase": "Retrospective study",
            },
        ),
        row(
            "NCT09990001",
            **{
                "Public title": "MSCs for COVID-19 ARDS",
                "Source Register": "ClinicalTrials.gov",
                "web address": "https://clinicaltrials.gov/show/NCT09990001",
                "Date registration": "05/04/2020",  # DD/MM/YYYY
                "Date registration3": 20200405,
                "Target size": 40,
                "Study type": "Interventional",
                "Phase": "Phase 1/Phase 2",
                "Countries": "United States",
                "Intervention": "Biological: Mesenchymal stromal cells;Drug: Placebo",
                "Recruitment Status": "Not recruiting",
            },
        ),
        row(
            "EUCTR2020-009999-11-ES",
            **{
                "Public title": "Allogeneic adipose MSCs in COVID-19 pneumonia",
                "Source Register": "EU Clinical Trials Register",
                "Date registration": "2020-04-16",
                "Date registration3": 20200416,
                "Target size": 26,
                "Phase": "Human pharmacology (Phase I): yes\nTherapeutic exploratory (Phase II): yes\n"
                "Therapeutic confirmatory - (Phase III): no\nTherapeutic use (Phase IV): no\n",
                "Countries": "Spain",
                "Intervention": "<br>Product Name: MSV<br>Other descriptive name: ALLOGENEIC ADIPOSE "
                "MESENCHYMAL STEM CELLS<br>Route of administration: Intravenous use<br>",
                "Bridging flag truefalse": "True ",
                "Bridged type": "parent    ",
                "Recruitment Status": "Authorised",
            },
        ),
        # the same trial on ClinicalTrials.gov, naming its EudraCT id
        row(
            "NCT09990002",
            **{
                "Public title": "Allogeneic adipose MSCs in COVID-19 pneumonia (MSV-COVID)",
                "Source Register": "ClinicalTrials.gov",
                "Date registration": "20/04/2020",
                "Date registration3": 20200420,
                "Countries": "Spain",
                "Intervention": "Biological: Adipose mesenchymal stem cells",
                "Secondary ID": "EudraCT 2020-009999-11",
            },
        ),
        row(
            "IRCT20200101000001N1",
            **{
                "Public title": "Vitamin D in COVID-19",
                "Scientific title": "Vitamin D supplements in hospitalised COVID-19 patients",
                "Source Register": "IRCT",
                "Intervention": "Intervention 1: Intervention group: vitamin D 50000 units weekly.",
                "Countries": "Iran (Islamic Republic of)",
            },
        ),
    ]


def columns(rows: list[dict[str, Any]]) -> list[str]:
    extra = [k for r in rows for k in r if k not in HEADER]
    return HEADER + list(dict.fromkeys(extra))


def write_xlsx(path: Path, rows: list[dict[str, Any]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "COVID19-web"
    cols = columns(rows)
    sheet.append(cols)
    for r in rows:
        sheet.append([r.get(c) for c in cols])
    book.save(path)
    return path


def _csv_value(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        return v.strftime("%d/%m/%Y")  # the CSV export's own form
    return v


def csv_text(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    cols = columns(rows)
    w = csv.writer(buf)
    w.writerow(cols)
    for r in rows:
        w.writerow([_csv_value(r.get(c)) if r.get(c) is not None else "" for c in cols])
    return buf.getvalue()


def xml_text(rows: list[dict[str, Any]]) -> str:
    root = ET.Element("Trials_downloaded_from_ICTRP")
    for r in rows:
        trial = ET.SubElement(root, "Trial")
        for c in columns(rows):
            el = ET.SubElement(trial, c.replace(" ", "_"))
            v = r.get(c)
            el.text = "" if v is None else str(_csv_value(v))
    return ET.tostring(root, encoding="unicode")


CHICTR_XML = """<?xml version="1.0" encoding="UTF-8"?>
<trials>
  <trial>
    <main>
      <trial_id>ChiCTR2000088801</trial_id>
      <reg_name>ChiCTR</reg_name>
      <date_registration>2020-02-24</date_registration>
      <primary_sponsor>Wuhan Union Hospital</primary_sponsor>
      <public_title>Human dental pulp mesenchymal stem cells for severe COVID-19</public_title>
      <public_title lang="zh">人牙髓间充质干细胞治疗重型新型冠状病毒肺炎的临床研究</public_title>
      <scientific_title>Dental pulp MSCs in severe novel coronavirus pneumonia</scientific_title>
      <date_enrolment>2020-03-01</date_enrolment>
      <target_size>试验组:20;对照组:20;</target_size>
      <recruitment_status>Recruiting</recruitment_status>
      <url>http://www.chictr.org.cn/showproj.aspx?proj=88801</url>
      <study_type>Interventional study</study_type>
      <phase>1</phase>
      <hc_freetext>novel coronavirus pneumonia</hc_freetext>
      <i_freetext>Experimental group:dental pulp MSCs;Control group:saline;</i_freetext>
      <i_freetext_cn>试验组：同种异体人牙髓间充质干细胞，每公斤体重1×10^6个细胞，静脉输注，第1、4、7天各输注1次，共3次；对照组：生理盐水；</i_freetext_cn>
    </main>
    <countries><country2>China</country2></countries>
    <criteria>
      <inclusion_criteria>Severe COVID-19&lt;br&gt;Aged 18-65</inclusion_criteria>
      <agemin>18</agemin>
    </criteria>
    <primary_outcome><prim_outcome>Time to clinical improvement</prim_outcome></primary_outcome>
    <secondary_ids><secondary_id><sec_id>NCT09880001</sec_id></secondary_id></secondary_ids>
  </trial>
  <trial>
    <main>
      <trial_id>ChiCTR2000088802</trial_id>
      <date_registration>2020-03-02</date_registration>
      <public_title_cn>间充质干细胞来源外泌体雾化吸入治疗新冠肺炎</public_title_cn>
      <public_title>Nebulised MSC-derived exosomes for COVID-19</public_title>
      <target_size>60</target_size>
      <recruitment_status>Not Recruiting</recruitment_status>
      <study_type>Interventional study</study_type>
      <phase>0</phase>
      <i_freetext_cn>试验组：雾化吸入脂肪间充质干细胞外泌体，每次2×10^8个颗粒，每天一次，共5次；对照组：常规治疗；</i_freetext_cn>
    </main>
    <countries><country2>China</country2></countries>
  </trial>
</trials>
"""
