"""Extract an MSC trial's design from its registry record, with the evidence for every value.

Each MSC arm is read from its own texts first (the arm's description, then the descriptions
of the interventions it receives); what they do not state is looked for in the intervention
model description, then the detailed description, then the brief summary. A value is taken
from the first text that states it, and the sentence it came from is kept as evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from msctrial.registry import classify as cl
from msctrial.registry.dosetext import (
    Quantity,
    administration_count,
    clean,
    day_list,
    interval_days,
    quantities,
    sentences,
    states_optional_dose,
)
from msctrial.registry.model import ArmGroup, DoseLevel, Evidence, Study

Text = tuple[str, str]  # (API v2 path, text)

_DOSING_CONTEXT = re.compile(
    r"infus|inject|administ|receiv|given|dose|does\b|transplant|inhal|treat|\bIV\b|intraven"
    r"|MSC|cells|application|times|\bD\d|day|输注|注射|给药|剂量|细胞|雾化|吸入|次|第\s*\d",
    re.IGNORECASE,
)
_NOT_DOSING = re.compile(
    r"\bfollow(?:[- ]?ups?|ed)\b|assess|evaluat|visit|collected|questionnaire|measured|monitor|observ|\blabs?\b"
    r"|laborator|sampl|endpoint|outcome|mortality|surviv|estimat|determin|discharge|previous"
    r"|reported|published|随访|评估|观察|检测|采集",
    re.IGNORECASE,
)
# In a trial's background paragraphs, past tense is about other trials, not this one.
_BACKGROUND = re.compile(
    r"\b(?:have|has|had)\s+been\b|\bwas\b|\bwere\b|to\s+date|completed|prior\s+(?:trial|stud)"
    r"|studies|\bshowed\b|\bdemonstrated\b",
    re.IGNORECASE,
)


def sentence_at(text: str, start: int, end: int | None = None) -> str:
    """The sentence (or sentences) of ``text`` around [start, end), verbatim."""
    end = start if end is None else end
    spans = sentences(text)
    first = next((s for s in spans if s.start <= start < s.end), None)
    last = next((s for s in spans if s.start < max(end, start + 1) <= s.end), first)
    if first is None:
        return text[start:end].strip()
    return text[first.start : (last or first).end].strip()


def dosing_sentences(text: str, *, background: bool = False) -> list[tuple[int, int]]:
    """Sentences that say how a product is given, not when patients are assessed; in a
    ``background`` text (the descriptions) also not what earlier trials did."""
    t = clean(text)
    out = []
    for s in sentences(text):
        chunk = t[s.start : s.end]
        if not _DOSING_CONTEXT.search(chunk) or _NOT_DOSING.search(chunk):
            continue
        if background and _BACKGROUND.search(chunk):
            continue
        out.append((s.start, s.end))
    return out


@dataclass
class ArmDosing:
    """What the record says about one MSC arm's dosing, each value with its evidence."""

    doses: list[Quantity] = field(default_factory=list)
    days: list[int] | None = None
    optional_days: list[int] = field(default_factory=list)
    count: int | None = None
    interval: int | None = None
    optional_interval: int | None = None  # the gap before an optional extra dose, if stated
    interval_range: bool = False  # "within 3-5 days": the shortest gap, not the days given
    route: str | None = None
    evidence: dict[str, Evidence] = field(default_factory=dict)

    @property
    def all_days(self) -> list[int] | None:
        if self.days is None:
            return None
        return sorted(set(self.days) | set(self.optional_days))

    @property
    def administrations(self) -> int | None:
        days = self.all_days
        return len(days) if days else self.count

    @property
    def min_interval(self) -> int | None:
        days = self.all_days or []
        if len(days) >= 2:
            return min(b - a for a, b in zip(days, days[1:], strict=False))
        return self.interval if (self.count or 0) >= 2 or self.optional_days else None

    @property
    def levels(self) -> list[DoseLevel]:
        seen: dict[tuple[float, str, float | None], DoseLevel] = {}
        for q in self.doses:
            key = (round(q.value, 6), q.unit, q.max)
            seen.setdefault(key, DoseLevel(value=q.value, unit=q.unit, max=q.max))  # type: ignore[arg-type]
        return sorted(seen.values(), key=lambda d: (d.unit, d.value))


def arm_texts(study: Study, arm_index: int | None, msc: tuple[int, ...]) -> list[Text]:
    """The texts that describe what one MSC arm receives, most specific first."""
    ivs = list(msc)
    out: list[Text] = []
    if arm_index is not None:
        arm = study.arms[arm_index]
        linked = linked_interventions(study, arm)
        ivs = [i for i in msc if i in linked] or ([] if linked else list(msc))
    for i in ivs:
        iv = study.interventions[i]
        if iv.description:
            out.append((f"armsInterventionsModule.interventions[{i}].description", iv.description))
    if arm_index is not None and study.arms[arm_index].description:
        out.append(
            (
                f"armsInterventionsModule.armGroups[{arm_index}].description",
                study.arms[arm_index].description or "",
            )
        )
    return out


def fallback_texts(study: Study) -> list[Text]:
    out: list[Text] = []
    if study.intervention_model_description:
        out.append(
            (
                "designModule.designInfo.interventionModelDescription",
                study.intervention_model_description,
            )
        )
    if study.detailed_description:
        out.append(("descriptionModule.detailedDescription", study.detailed_description))
    if study.brief_summary:
        out.append(("descriptionModule.briefSummary", study.brief_summary))
    # last, the titles: a short record (ICTRP) may state its route only there ("Aerosol
    # Inhalation of the Exosomes …")
    for path, title in (
        ("identificationModule.officialTitle", study.official_title),
        ("identificationModule.briefTitle", study.brief_title),
    ):
        if title:
            out.append((path, title))
    return out


def linked_interventions(study: Study, arm: ArmGroup) -> set[int]:
    names = {n.split(":", 1)[-1].strip().lower() for n in arm.intervention_names}
    return {
        i
        for i, iv in enumerate(study.interventions)
        if iv.name.strip().lower() in names or arm.label in iv.arm_group_labels
    }


def read_dosing(own: list[Text], fallback: list[Text], product: str) -> ArmDosing:
    """Dose, days, count, interval and route of one arm: own texts first, then the record's."""
    d = ArmDosing()
    units = {"cells", "cells/kg"} if product == "cells" else {"particles"}
    for group in (own, fallback):
        background = group is fallback
        if not d.doses:
            _read_doses(d, group, units, strict=background)
        if d.days is None and d.count is None:
            _read_schedule(d, group, background)
        if d.interval is None:
            _read_interval(d, group, background)
    _complete_schedule(d, own + fallback)
    found = cl.route(own) or cl.route(fallback)
    if found:
        d.route = found[0]
        d.evidence["route"] = _evidence(found[1], found[2], cl.ROUTES, found[0])
    return d


def _evidence(
    source: str, text: str, patterns: list[tuple[str, re.Pattern[str]]], value: str
) -> Evidence:
    pattern = dict(patterns)[value]
    m = pattern.search(text)
    return Evidence(source=source, text=sentence_at(text, m.start(), m.end()) if m else text[:300])


def _read_doses(d: ArmDosing, texts: list[Text], units: set[str], *, strict: bool) -> None:
    for source, text in texts:
        allowed = dosing_sentences(text, background=True) if strict else None
        found = [
            q
            for q in quantities(text)
            if q.unit in units and (allowed is None or any(a <= q.start < b for a, b in allowed))
        ]
        if found:
            d.doses = found
            first, last = found[0], found[-1]
            d.evidence["dose"] = Evidence(
                source=source, text=sentence_at(text, first.start, last.end)
            )
            return


def _read_schedule(d: ArmDosing, texts: list[Text], background: bool) -> None:
    for source, text in texts:
        t = clean(text)
        days: list[int] = []
        quotes = []
        for a, b in dosing_sentences(text, background=background):
            found = day_list(t[a:b])
            if found:
                days.extend(found[0])
                quotes.append(text[a:b].strip())
        if days:
            d.days = sorted(set(days))
            d.evidence["schedule_days"] = Evidence(source=source, text=" … ".join(quotes))
        for a, b in dosing_sentences(text, background=background):
            count = administration_count(t[a:b])
            if count:
                d.count = count.n
                d.evidence["administrations"] = Evidence(
                    source=source, text=sentence_at(text, a + count.span.start, a + count.span.end)
                )
                break
        if d.days is not None or d.count is not None:
            for a, b in dosing_sentences(text, background=background):
                if states_optional_dose(t[a:b]):
                    d.evidence["optional_dose"] = Evidence(source=source, text=text[a:b].strip())
                    gap = interval_days(t[a:b])
                    d.optional_interval = gap[0] if gap else None
                    break
            return


def _read_interval(d: ArmDosing, texts: list[Text], background: bool) -> None:
    for source, text in texts:
        t = clean(text)
        for a, b in dosing_sentences(text, background=background):
            found = interval_days(t[a:b])
            if found:
                d.interval = found[0]
                d.interval_range = "within" in t[a + found[1].start : a + found[1].end].lower()
                d.evidence["min_interval_days"] = Evidence(
                    source=source, text=sentence_at(text, a + found[1].start, a + found[1].end)
                )
                return


def _complete_schedule(d: ArmDosing, texts: list[Text]) -> None:
    """Days from 'every N days, M times' or 'once, again after a week if needed'."""
    optional = "optional_dose" in d.evidence
    if d.days is None and d.interval and d.count and not d.interval_range:
        d.days = [k * d.interval for k in range(d.count)]
        quotes = [
            d.evidence[k] for k in ("administrations", "min_interval_days") if k in d.evidence
        ]
        if quotes:
            d.evidence["schedule_days"] = Evidence(
                source=" + ".join(dict.fromkeys(q.source for q in quotes)),
                text=" … ".join(dict.fromkeys(q.text for q in quotes)),
            )
    gap = d.optional_interval or d.interval
    if optional and gap and d.days:
        d.optional_days = [d.days[-1] + gap]
    elif optional and d.count and not d.days:
        d.count += 1
    if d.days and "administrations" not in d.evidence:
        d.evidence["administrations"] = d.evidence["schedule_days"]
    if d.days and len(d.all_days or []) >= 2:
        # the gap is read off the days themselves, whatever else the text says
        d.evidence["min_interval_days"] = d.evidence["schedule_days"]
        if d.optional_days and "optional_dose" in d.evidence:
            planned, extra = d.evidence["schedule_days"], d.evidence["optional_dose"]
            if planned.text != extra.text:
                d.evidence["schedule_days"] = Evidence(
                    source=" + ".join(dict.fromkeys((planned.source, extra.source))),
                    text=f"{planned.text} … {extra.text}",
                )
            else:
                d.evidence["schedule_days"] = extra
