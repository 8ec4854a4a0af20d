"""The seed's Table 1 for any set of records, and what the seed's own table got wrong.

The layout is the seed's (trial, responsible institution, source of MSCs, dose, route and
schedule, phase, primary outcomes), with the expert-guidance findings added. The seed's table
(DOMAIN §6, seed §3.4 Table 1) is kept here as data so ``--compare-seed`` can show, field by
field, where it differs from the registry record; the record is the truth.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from pydantic import BaseModel, ConfigDict

from msctrial.protocol.guidance import format_cells
from msctrial.registry.model import ExtractedDesign, Study

_SOURCE_WORDS = {
    "umbilical_cord": "umbilical cord",
    "wharton_jelly": "Wharton's jelly",
    "bone_marrow": "bone marrow",
    "adipose": "adipose",
    "dental_pulp": "dental pulp",
    "placenta": "placenta",
    "menstrual_blood": "menstrual blood",
    "olfactory_mucosa": "olfactory mucosa",
    "cord_blood": "cord blood",
    "amniotic": "amniotic",
}
_ROUTE_WORDS = {
    "intravenous": "IV",
    "inhalation": "inhaled",
    "intratracheal": "intratracheal",
    "intramuscular": "IM",
    "intranasal": "intranasal",
    "other": "other route",
}
_PHASE_WORDS = {
    "EARLY_PHASE1": "early 1",
    "PHASE1": "1",
    "PHASE2": "2",
    "PHASE3": "3",
    "PHASE4": "4",
    "NA": "n/a",
}


class Table1Row(BaseModel):
    model_config = ConfigDict(frozen=True)

    trial: str
    institution: str | None
    source: str
    dose: str
    route_and_schedule: str
    phase: str
    primary_outcomes: str
    guidance: str  # "meets the guidance" or the rules it breaks


def describe_source(d: ExtractedDesign) -> str:
    words: list[str] = [] if d.donor is None else [d.donor]
    if d.cell_source and d.cell_source != "unspecified":
        words.append(_SOURCE_WORDS[d.cell_source])
    product = {
        "cells": "MSCs",
        "extracellular_vesicles": "MSC extracellular vesicles",
        "secretome": "MSC secretome",
    }.get(d.product_type or "cells", "MSCs")
    text = " ".join([*words, product])
    return text if d.cell_source != "unspecified" else f"{text} (tissue not stated)"


def describe_dose(d: ExtractedDesign) -> str:
    if not d.dose_levels:
        return "not stated"
    parts = []
    for level in d.dose_levels:
        value = format_cells(level.value)
        if level.max:
            value = f"{value}–{format_cells(level.max)}"
        per = {"cells/kg": "cells/kg/dose", "cells": "cells/dose", "particles": "particles/dose"}
        parts.append(f"{value} {per[level.unit]}")
    return "; ".join(parts)


def describe_schedule(d: ExtractedDesign) -> str:
    route = _ROUTE_WORDS.get(d.route or "", "route not stated")
    if d.administrations is None:
        return f"{route}, number of administrations not stated"
    text = f"{route} ×{d.administrations}"
    if d.schedule_days:
        text += f", days {', '.join(map(str, d.schedule_days))}"
    elif d.min_interval_days:
        text += f", {d.min_interval_days} days apart"
    return text


def describe_phase(d: ExtractedDesign) -> str:
    names = [_PHASE_WORDS[p.value] for p in d.phases]
    if len(names) == 2 and all(n.isdigit() for n in names):
        return f"{names[0]}–{names[1]}"
    return ", ".join(names) or "not stated"


def describe_guidance(d: ExtractedDesign) -> str:
    deviations = list(dict.fromkeys(f.rule for f in d.findings if f.level == "deviation"))
    if not deviations:
        return "meets the guidance" + (" (advice only)" if d.findings else "")
    return "deviates: " + ", ".join(deviations)


def table1_row(study: Study, d: ExtractedDesign) -> Table1Row:
    return Table1Row(
        trial=d.trial_id,
        institution=study.institution,
        source=describe_source(d),
        dose=describe_dose(d),
        route_and_schedule=describe_schedule(d),
        phase=describe_phase(d),
        primary_outcomes="; ".join(
            f"{o.measure} ({o.time_frame})" if o.time_frame else o.measure
            for o in d.primary_outcomes
        )
        or "not stated",
        guidance=describe_guidance(d),
    )


# --- the seed's Table 1 (DOMAIN §6), as the seed printed it ---------------------------------

SEED_TABLE1: dict[str, dict[str, Any]] = {
    "NCT04288102": dict(source="unspecified", donor=None, dose=(4e7, "cells"), n=3, days=[0, 3, 6], phases=["PHASE2"], outcomes={"lung_imaging", "pulmonary_fibrosis"}),
    "NCT04336254": dict(source="dental_pulp", donor="allogeneic", dose=(3e7, "cells"), n=3, days=[1, 4, 7], phases=["PHASE1", "PHASE2"], outcomes={"time_to_clinical_improvement"}),
    "NCT04252118": dict(source="unspecified", donor=None, dose=(4e7, "cells"), n=3, days=[0, 3, 6], phases=["PHASE1"], outcomes={"lung_imaging", "adverse_events"}),
    "NCT04302519": dict(source="dental_pulp", donor=None, dose=(1e6, "cells/kg"), n=3, days=[1, 3, 7], phases=["EARLY_PHASE1"], outcomes={"lung_imaging"}),
    "NCT04339660": dict(source="umbilical_cord", donor=None, dose=(1e6, "cells/kg"), n=2, days=[0, 7], phases=["PHASE1", "PHASE2"], outcomes={"inflammatory_factors", "spo2"}),
    "NCT04273646": dict(source="umbilical_cord", donor=None, dose=(0.5e6, "cells/kg"), n=4, days=[1, 3, 5, 7], phases=["NA"], outcomes={"other", "oxygenation_index"}),
    "NCT04269525": dict(source="umbilical_cord", donor=None, dose=(9.9e7, "cells"), n=4, days=[1, 3, 5, 7], phases=["PHASE2"], outcomes={"oxygenation_index", "mortality"}),
    "NCT04371601": dict(source="umbilical_cord", donor=None, dose=(10e6, "cells/kg"), n=4, days=[0, 4, 8, 12], phases=["EARLY_PHASE1"], outcomes={"oxygenation_index"}),
    "NCT04293692": dict(source="umbilical_cord", donor=None, dose=(0.5e6, "cells/kg"), n=4, days=[1, 3, 5, 7], phases=["NA"], outcomes={"lung_imaging", "spo2", "mortality"}),
}  # fmt: skip
# Every trial in the seed's table is intravenous (DOMAIN §6, "route and schedule").
SEED_ROUTE = "intravenous"


class SeedDifference(BaseModel):
    model_config = ConfigDict(frozen=True)

    trial: str
    field: str
    seed: str
    record: str


def _dose_text(value: float | None, unit: str | None) -> str:
    return f"{format_cells(value)} {unit}" if value and unit else "not stated"


def compare_seed(d: ExtractedDesign) -> list[SeedDifference]:
    """Each field where the seed's Table 1 says something other than the record."""
    seed = SEED_TABLE1.get(d.trial_id)
    if seed is None:
        return []
    out: list[SeedDifference] = []

    def differ(field: str, said: str, record: str) -> None:
        if said != record:
            out.append(SeedDifference(trial=d.trial_id, field=field, seed=said, record=record))

    differ("cell_source", seed["source"], d.cell_source or "not stated")
    if seed["donor"] is not None:
        differ("donor", seed["donor"], d.donor or "not stated")
    value, unit = seed["dose"]
    record_dose = (
        _dose_text(d.dose_value, d.dose_unit) if len(d.dose_levels) <= 1 else describe_dose(d)
    )
    differ("dose", _dose_text(value, unit), record_dose)
    differ("route", SEED_ROUTE, d.route or "not stated")
    differ(
        "administrations",
        str(seed["n"]),
        str(d.administrations) if d.administrations else "not stated",
    )
    differ(
        "schedule_days",
        ", ".join(map(str, seed["days"])),
        ", ".join(map(str, d.schedule_days)) if d.schedule_days else "not stated",
    )
    differ(
        "phases", ", ".join(seed["phases"]), ", ".join(p.value for p in d.phases) or "not stated"
    )
    record_outcomes = {o.category or "other" for o in d.primary_outcomes}
    differ(
        "primary_outcomes",
        ", ".join(sorted(seed["outcomes"])),
        ", ".join(sorted(record_outcomes)) or "not stated",
    )
    return out


# --- output --------------------------------------------------------------------------------

COLUMNS = [
    ("trial", "Trial"),
    ("institution", "Responsible institution"),
    ("source", "Source of MSCs"),
    ("dose", "Dose"),
    ("route_and_schedule", "Route and schedule"),
    ("phase", "Phase"),
    ("primary_outcomes", "Primary outcomes"),
    ("guidance", "Expert guidance"),
]


def _md_cell(text: str | None) -> str:
    return (text or "—").replace("|", "\\|").replace("\n", " ")


def to_markdown(rows: list[Table1Row], differences: list[SeedDifference] | None = None) -> str:
    lines = [
        "| " + " | ".join(title for _, title in COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    for r in rows:
        lines.append("| " + " | ".join(_md_cell(getattr(r, key)) for key, _ in COLUMNS) + " |")
    if differences is not None:
        lines += ["", "Differences from the seed's Table 1 (the registry record is the truth):", ""]
        if not differences:
            lines.append("none: the seed's Table 1 agrees with the records given")
        else:
            lines += ["| Trial | Field | Seed's Table 1 | Registry record |", "|---|---|---|---|"]
            lines += [
                f"| {x.trial} | {x.field} | {_md_cell(x.seed)} | {_md_cell(x.record)} |"
                for x in differences
            ]
    return "\n".join(lines) + "\n"


def to_csv(rows: list[Table1Row], differences: list[SeedDifference] | None = None) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([key for key, _ in COLUMNS])
    for r in rows:
        writer.writerow([getattr(r, key) or "" for key, _ in COLUMNS])
    if differences is not None:
        buf.write("\n")
        writer.writerow(["trial", "field", "seed", "record"])
        for x in differences:
            writer.writerow([x.trial, x.field, x.seed, x.record])
    return buf.getvalue()


def to_json(rows: list[Table1Row], differences: list[SeedDifference] | None = None) -> str:
    data: dict[str, Any] = {"rows": [r.model_dump() for r in rows]}
    if differences is not None:
        data["seed_differences"] = [x.model_dump() for x in differences]
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


FORMATS = {"md": to_markdown, "csv": to_csv, "json": to_json}
