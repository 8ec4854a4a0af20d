"""Is this an MSC trial, and what product: cells, vesicles or secretome, from which tissue,
whose donor, by which route.

Only text that says what participants receive counts: intervention names, descriptions and
other names, the arms, the titles. A background paragraph about MSCs in a trial of another
product does not make it an MSC trial; an observational study gives nobody anything. An
exosome or secretome product whose origin the intervention does not name counts as
MSC-derived only when the record's own description or keywords say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from msctrial.registry.model import ArmGroup, Intervention, Study

# "MSC" is case-sensitive so that a contact's "MSc" degree is not a stem cell.
_MSC_WORDS = re.compile(
    r"mesenchymal|stromal\s+(?:stem\s+)?cells?|medicinal\s+signal"
    r"|remestemcel|lomecel|nestacell|astrostem|multipotent\s+stromal|间充质|基质细胞"
    # stem cells named by an MSC tissue (DOMAIN §3): menstrual-blood, dental-pulp, adipose,
    # Wharton's-jelly or cord-tissue stem cells are MSCs (cord *blood* stem cells are not)
    r"|(?:menstrual\s+blood|dental\s+pulp|adipose(?:\s+tissue)?|wharton'?s?\s+jelly"
    r"|umbilical\s+cord(?!\s+blood))[- ]+(?:derived\s+)?(?:stem|stromal)\s+cells?"
    r"|hUMSC|hucMSC|牙髓干细胞|脐带干细胞",
    re.IGNORECASE,
)
_MSC_ABBREV = re.compile(r"MSC|MMSC")
# either, for a caller that needs one pattern (the combination reader)
MSC_TERMS = re.compile(_MSC_WORDS.pattern + r"|MSC|MMSC|间充质|基质细胞|干细胞", re.IGNORECASE)
_EV_WORDS = re.compile(
    r"exosom|extracellular\s+vesicles?|\bEVs?\b|nano\s*vesicles?|nanoparticles|外泌体|囊泡",
    re.IGNORECASE,
)
_SECRETOME_WORDS = re.compile(r"secretome|conditioned\s+medi|分泌组|条件培养", re.IGNORECASE)
# Other cells and vesicles whose origin the record names: not MSC products.
_OTHER_ORIGIN = re.compile(
    r"T[- ]cells?|cardiosphere|\bNK\b|natural\s+killer|CD24|lymphocytes?|dendritic|iPSC-derived\s+NK"
    r"|amniotic\s+fluid|platelet|plasma\b|NK细胞|T细胞|淋巴细胞",
    re.IGNORECASE,
)
_CONTROL_WORDS = re.compile(
    r"placebo|\bsaline\b|vehicle|sham|standard\s+(?:of\s+)?care|standard\s+treatment|conventional"
    r"|supportive\s+care|\bcontrol\b|usual\s+care|安慰剂|生理盐水|对照|常规治疗|标准治疗",
    re.IGNORECASE,
)
_CONTROL_TYPES = {"PLACEBO_COMPARATOR", "SHAM_COMPARATOR", "NO_INTERVENTION"}

# Most specific first: Wharton's jelly and cord blood are parts of the umbilical cord.
SOURCES: list[tuple[str, re.Pattern[str]]] = [
    ("wharton_jelly", re.compile(r"wharton|\bWJ\b|WJ[- ]?MSC|华通氏?胶", re.IGNORECASE)),
    ("cord_blood", re.compile(r"cord\s+blood|\bUCB\b|脐血|脐带血", re.IGNORECASE)),
    ("menstrual_blood", re.compile(r"menstrual|经血|月经血", re.IGNORECASE)),
    ("olfactory_mucosa", re.compile(r"olfactory|嗅黏膜|嗅粘膜", re.IGNORECASE)),
    ("dental_pulp", re.compile(r"dental\s+pulp|DPSC|endodontic|\bpulp\b|牙髓", re.IGNORECASE)),
    ("placenta", re.compile(r"placent|PLX|胎盘", re.IGNORECASE)),
    ("amniotic", re.compile(r"amnio(?:tic|n)(?!\s+fluid)|羊膜", re.IGNORECASE)),
    (
        "bone_marrow",
        re.compile(r"bone[\s-]+marrow|\bBM[- ]?(?:MSC|Allo)|marrow|骨髓", re.IGNORECASE),
    ),
    (
        "adipose",
        re.compile(
            r"adipose|\bad-?MSC|adMSC|\bASCs?\b|AD-MSC|fat[- ]derived|lipoaspirat|脂肪", re.I
        ),
    ),
    (
        "umbilical_cord",
        re.compile(
            r"umbilical|\bh?UC[- ]?M+SC|UCMSC|\bh?UMSC|hucMSC|cord\s+(?:tissue|lining)"
            r"|cord[- ]derived|脐带(?!血)",
            re.I,
        ),
    ),
]
ROUTES: list[tuple[str, re.Pattern[str]]] = [
    (
        "intravenous",
        re.compile(
            r"intravenous|\bIV\b|\bi\.\s?v\.|endovenous|into\s+the\s+vein|venous\s+infusion"
            r"|静脉",
            re.I,
        ),
    ),
    # nebulised or inhaled (exosomes, mostly): "atomization" is ChiCTR's English for 雾化
    ("inhalation", re.compile(r"inhal|nebuli[sz]|aerosol|atomi[sz]|雾化|吸入", re.I)),
    ("intratracheal", re.compile(r"intratracheal|endotracheal|bronchoscop|气管内", re.I)),
    ("intramuscular", re.compile(r"intramuscular|\bIM\b|肌肉注射|肌注", re.I)),
    ("intranasal", re.compile(r"intranasal|nasal\s+spray|nasal\s+drop|滴鼻|鼻腔", re.I)),
    (
        "other",
        re.compile(
            r"renal\s+replacement|extracorporeal|intrathecal|subcutaneous|intra-?articular", re.I
        ),
    ),
]


def mentions_msc(text: str | None) -> bool:
    return bool(text) and bool(_MSC_WORDS.search(text or "") or _MSC_ABBREV.search(text or ""))


def intervention_text(iv: Intervention) -> str:
    return " ".join([iv.name, *(iv.other_names), iv.description or ""])


def arm_text(arm: ArmGroup) -> str:
    return f"{arm.label} {arm.description or ''}"


def is_control_arm(arm: ArmGroup) -> bool:
    if arm.type in _CONTROL_TYPES:
        return True
    text = arm_text(arm)
    return (
        bool(_CONTROL_WORDS.search(text)) and not mentions_msc(text) and not _EV_WORDS.search(text)
    )


def _is_control_intervention(iv: Intervention) -> bool:
    return bool(_CONTROL_WORDS.search(iv.name)) and not mentions_msc(intervention_text(iv))


@dataclass(frozen=True)
class Classification:
    is_msc: bool
    msc_interventions: tuple[int, ...]  # indexes into study.interventions
    reason: str  # the text that decided it
    source: str  # where that text is


def msc_derived_vesicles(study: Study) -> bool:
    """The record's own titles, description or keywords say its vesicles or secretome come
    from MSCs."""
    texts = [
        study.brief_title,
        study.official_title,
        study.brief_summary,
        study.detailed_description,
        " ".join(study.keywords),
    ]
    return any(mentions_msc(t) for t in texts)


_GIVES = re.compile(r"infus|inject|transplant|administ|inhal|输注|注射|移植|回输", re.IGNORECASE)
_LOOSE_ABBREV = re.compile(r"\bMSCs?\b", re.IGNORECASE)


def classify(study: Study) -> Classification:
    """An MSC trial gives MSCs or an MSC-derived product in at least one arm."""
    if study.study_type == "OBSERVATIONAL" and not any(
        mentions_msc(iv.description) and _GIVES.search(iv.description or "")
        for iv in study.interventions
    ):
        # an observational study gives nobody anything, unless its own intervention text says
        # it infuses MSCs (ChiCTR records single-arm MSC studies as "observational")
        return Classification(
            False, (), "an observational study gives no product", "designModule.studyType"
        )
    titled = mentions_msc(" ".join(t for t in (study.brief_title, study.official_title) if t))
    msc: list[int] = []
    reason, where = "", ""
    vesicles_from_msc = None
    for i, iv in enumerate(study.interventions):
        text = intervention_text(iv)
        # "MSc" in a trial titled MSCs is the product, not a degree
        if mentions_msc(text) or (titled and _LOOSE_ABBREV.search(text)):
            msc.append(i)
            reason = reason or text
            where = where or f"armsInterventionsModule.interventions[{i}]"
        elif (_EV_WORDS.search(text) or _SECRETOME_WORDS.search(text)) and not _OTHER_ORIGIN.search(
            text
        ):
            if _is_control_intervention(iv):
                continue
            if vesicles_from_msc is None:
                vesicles_from_msc = msc_derived_vesicles(study)
            if vesicles_from_msc:
                msc.append(i)
                reason = reason or text
                where = where or f"armsInterventionsModule.interventions[{i}]"
    if not msc:
        # a product named only by a code ("PrimePro"), in a trial whose title says it is MSCs
        title = " ".join(t for t in (study.brief_title, study.official_title) if t)
        products = [
            i
            for i, iv in enumerate(study.interventions)
            if not _is_control_intervention(iv) and not _OTHER_ORIGIN.search(intervention_text(iv))
        ]
        if mentions_msc(title) and len(products) == 1:
            msc = products
            reason, where = title, "identificationModule.briefTitle"
        for j, arm in enumerate(study.arms):
            if not msc and not is_control_arm(arm) and mentions_msc(arm_text(arm)):
                reason, where = arm_text(arm), f"armsInterventionsModule.armGroups[{j}]"
                return Classification(True, (), reason, where)
    if not msc:
        return Classification(
            False,
            (),
            "no intervention gives MSCs or an MSC-derived product",
            "armsInterventionsModule",
        )
    return Classification(True, tuple(msc), reason, where)


def product_of(text: str) -> str:
    """cells, extracellular_vesicles or secretome, from the text describing one product."""
    # the cells a vesicle or secretome comes from are its origin, not what is given
    stripped = re.sub(
        r"[^.;,]{0,30}(?:exosom|extracellular\s+vesicles?|\bEVs?\b|nano\s*vesicles?|secretome"
        r"|conditioned\s+medi)[^.;,]{0,30}|cell[- ]free",
        " ",
        text,
        flags=re.IGNORECASE,
    )
    gives_cells = re.search(r"cells?\b|MSCs?\b", stripped, re.IGNORECASE)
    if _SECRETOME_WORDS.search(text) and not gives_cells:
        return "secretome"
    if _EV_WORDS.search(text) and not gives_cells:
        return "extracellular_vesicles"
    return "cells"


def first_match(
    patterns: list[tuple[str, re.Pattern[str]]], texts: list[tuple[str, str]]
) -> tuple[str, str, str] | None:
    """(value, source, text) of the earliest mention, texts taken in order of authority."""
    for source, text in texts:
        hits = []
        for value, pattern in patterns:
            m = pattern.search(text)
            if m:
                hits.append((m.start(), value))
        if not hits:
            continue
        values = {v for _, v in hits}
        if "umbilical_cord" in values and values & {"wharton_jelly", "cord_blood"}:
            hits = [h for h in hits if h[1] != "umbilical_cord"]
        return min(hits)[1], source, text
    return None


def cell_source(texts: list[tuple[str, str]]) -> tuple[str, str, str] | None:
    return first_match(SOURCES, texts)


def route(texts: list[tuple[str, str]]) -> tuple[str, str, str] | None:
    return first_match(ROUTES, texts)


# "third-party", "healthy unrelated donor(s)" and "banked" (off-the-shelf) cells are another
# person's: allogeneic.
_DONOR = [
    (
        "allogeneic",
        re.compile(
            r"allogen|\ballo\b|BM-Allo|third[- ]party|(?:healthy\s+)?unrelated\s+donors?"
            r"|\bbanked\b|cell\s+bank|off[- ]the[- ]shelf|异体|同种异体|第三方",
            re.IGNORECASE,
        ),
    ),
    ("autologous", re.compile(r"autologous|自体", re.IGNORECASE)),
]


def donor(texts: list[tuple[str, str]]) -> tuple[str, str, str] | None:
    return first_match(_DONOR, texts)
