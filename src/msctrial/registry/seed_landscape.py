"""The seed's landscape (DOMAIN §6, seed §3.3) beside the platform's at the seed's own dates.

The seed: by 2020-07-08, 35 MSC-for-COVID-19 trials on ClinicalTrials.gov, 9 run from China and
26 from elsewhere; by 2020-07-05, 15 projects on ChiCTR, 7 of them recruiting. The platform
counts what the loaded records say; where the two differ, each difference is listed with the
trials behind it, so a reader can judge which count a trial belongs in. For the Chinese
ClinicalTrials.gov trials the seed names its nine (Table 1), so the difference is exact.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from msctrial.registry.census import CHINA, NOT_STATED, Census, Trial, census
from msctrial.registry.model import CTGOV, ExtractedDesign, Study
from msctrial.registry.table1 import SEED_TABLE1

CTGOV_DATE = dt.date(2020, 7, 8)
CHICTR_DATE = dt.date(2020, 7, 5)


@dataclass(frozen=True)
class Line:
    """One of the seed's counts beside the platform's, with the trials behind the platform's."""

    registry: str
    as_of: str
    what: str
    seed: int
    platform: int
    trials: list[str]
    missing: list[str] = field(default_factory=list)  # named by the seed, not counted here
    extra: list[str] = field(default_factory=list)  # counted here, not named by the seed
    note: str = ""

    @property
    def differs(self) -> bool:
        return self.seed != self.platform or bool(self.missing or self.extra)

    def to_json(self) -> dict[str, Any]:
        return {
            "registry": self.registry, "as_of": self.as_of, "count": self.what,
            "seed": self.seed, "platform": self.platform, "differs": self.differs,
            "trials": self.trials, "named_by_seed_not_counted": self.missing,
            "counted_not_named_by_seed": self.extra, "note": self.note,
        }  # fmt: skip


def _ids(trials: list[Trial]) -> list[str]:
    return [t.study.trial_id for t in trials]


def compare(items: list[tuple[Study, ExtractedDesign]]) -> tuple[list[Line], Census, Census]:
    """The seed's four counts, each beside the platform's at the seed's dates."""
    ct = census(items, CTGOV_DATE, [CTGOV])
    cn = census(items, CHICTR_DATE, ["ChiCTR"])
    counted = ct.counted
    china = [t for t in counted if t.lead_country.startswith(CHINA)]
    unknown = [t for t in counted if t.lead_country == NOT_STATED]
    elsewhere = [t for t in counted if t not in china and t not in unknown]
    named = set(SEED_TABLE1)
    china_ids = set(_ids(china))
    ct_date, cn_date = CTGOV_DATE.isoformat(), CHICTR_DATE.isoformat()
    lines = [
        Line(CTGOV, ct_date, "MSC trials", 35, len(counted), _ids(counted),
             note=(f"{len(unknown)} with no lead-site country stated: {', '.join(_ids(unknown))}"
                   if unknown else "")),
        Line(CTGOV, ct_date, "run from China", 9, len(china), _ids(china),
             missing=sorted(named - china_ids), extra=sorted(china_ids - named)),
        Line(CTGOV, ct_date, "run from elsewhere", 26, len(elsewhere), _ids(elsewhere)),
        Line("ChiCTR", cn_date, "projects", 15, len(cn.counted), _ids(cn.counted),
             note=(f"cancelled by the investigator, not counted: {', '.join(_ids(cn.trials[len(cn.counted):]))}"
                   if len(cn.trials) > len(cn.counted) else "")),
        Line("ChiCTR", cn_date, "recruiting", 7,
             sum(1 for t in cn.counted if t.study.overall_status == "RECRUITING"),
             [t.study.trial_id for t in cn.counted if t.study.overall_status == "RECRUITING"],
             note="status as of the record's data version, not necessarily the seed's date"),
    ]  # fmt: skip
    return lines, ct, cn


def to_text(lines: list[Line], ct: Census, cn: Census) -> str:
    out = ["The seed's landscape beside the platform's (the loaded records are the source):", ""]
    for x in lines:
        mark = "differs" if x.differs else "agrees"
        out.append(
            f"{x.registry} by {x.as_of}, {x.what}: seed {x.seed}, platform {x.platform} ({mark})"
        )
        if x.missing:
            out.append(f"  named by the seed, not counted here: {', '.join(x.missing)}")
        if x.extra:
            out.append(f"  counted here, not in the seed's Table 1: {', '.join(x.extra)}")
        if x.differs and x.trials:
            out.append(f"  trials: {', '.join(x.trials)}")
        if x.note:
            out.append(f"  {x.note}")
    by_id = {t.study.trial_id: t for t in [*ct.trials, *cn.trials]}
    out += ["", "Each trial counted, as read:"]
    for tid, t in by_id.items():
        d = t.design
        mark = " [cancelled]" if t.study.cancelled else ""
        out.append(
            f"  {tid} ({t.study.registry}, {t.study.registered_on}, {t.lead_country}, "
            f"{t.study.overall_status or NOT_STATED}){mark}: {d.product_type}, "
            f"{d.cell_source}, {d.route or 'route not stated'}"
            + (f", with {', '.join(d.combined_with)}" if d.combined_with else "")
        )
    return "\n".join(out) + "\n"
