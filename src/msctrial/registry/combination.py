"""What an MSC arm gives besides the MSCs: NK cells, ruxolitinib or another drug (seed §3.4:
"some combine MSCs with NK cells or ruxolitinib").

Only an agent the arm itself gives counts: an intervention linked to the MSC arm that is not
the MSC product and not a control (placebo, saline, standard care), or an agent the MSC arm's
own text or the trial's title names as given with the cells ("ruxolitinib in combination with
mesenchymal stem cells", "NK cells and mesenchymal stem cells", "联合"). Standard care given to
both arms is not a combination.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Agents as registry records name them, with one name each; most specific first.
AGENTS: list[tuple[str, re.Pattern[str]]] = [
    ("NK cells", re.compile(r"\bNK\s*cells?|natural\s+killer|NK细胞", re.I)),
    ("ruxolitinib", re.compile(r"ruxolitinib|芦可替尼", re.I)),
    ("tocilizumab", re.compile(r"tocilizumab|托珠单抗", re.I)),
    ("convalescent plasma", re.compile(r"convalescent\s+plasma|康复者血浆", re.I)),
    ("hydroxychloroquine", re.compile(r"hydroxychloroquine|羟氯喹", re.I)),
    ("favipiravir", re.compile(r"favipiravir|法匹拉韦", re.I)),
    ("remdesivir", re.compile(r"remdesivir|瑞德西韦", re.I)),
    ("lopinavir/ritonavir", re.compile(r"lopinavir|ritonavir|洛匹那韦", re.I)),
    ("interferon", re.compile(r"interferon|干扰素", re.I)),
    ("thymosin", re.compile(r"thymosin|胸腺肽", re.I)),
    ("baricitinib", re.compile(r"baricitinib", re.I)),
    ("anakinra", re.compile(r"anakinra", re.I)),
]
_WITH = re.compile(
    r"combin|together\s+with|\bplus\b|\band\b|\bwith\b|\+|联合|合并|加用|及|和", re.I
)
_CONTROL = re.compile(
    r"placebo|saline|vehicle|sham|standard|conventional|routine|usual|supportive|best\s+care"
    r"|control|安慰剂|生理盐水|常规|标准治疗|对照",
    re.I,
)


@dataclass(frozen=True)
class Combination:
    agent: str
    source: str
    text: str


def agents_in(text: str) -> list[tuple[str, re.Match[str]]]:
    out = []
    for name, pattern in AGENTS:
        m = pattern.search(text)
        if m:
            out.append((name, m))
    return out


def named_with_msc(source: str, text: str, msc_words: re.Pattern[str]) -> list[Combination]:
    """Agents a text names as given together with MSCs: both named in one clause, joined by
    'combined with', 'and', 'plus', '联合' …"""
    found: list[Combination] = []
    for clause in re.split(r"[.;。；\n]", text):
        if not msc_words.search(clause) or not _WITH.search(clause):
            continue
        for name, m in agents_in(clause):
            # "NK cells" inside "MSC-derived ... NK cells" still counts; a control does not
            if not _CONTROL.search(clause[max(0, m.start() - 25) : m.start()]):
                found.append(Combination(name, source, clause.strip()[:400]))
    return found


_ACTIVE_TYPES = {"DRUG", "BIOLOGICAL", "GENETIC", "COMBINATION_PRODUCT"}


def other_intervention(
    source: str, kind: str | None, name: str, description: str | None
) -> Combination | None:
    """A non-MSC drug or biological linked to an MSC arm: a combination unless it is a
    control; a procedure or a test given with the cells is not an agent."""
    text = f"{name} {description or ''}"
    named = agents_in(text)
    if _CONTROL.search(name) or not name.strip() or (kind not in _ACTIVE_TYPES and not named):
        return None
    label = named[0][0] if named else re.sub(r"^\w[\w ]*?:\s*", "", name).strip()
    return Combination(label, source, text.strip()[:400])
