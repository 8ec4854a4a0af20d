"""CTCAE grades of the stored laboratory values, for gsm's grade 3+ lab abnormality KRI (LB). Pure.

gsm's kri0005 counts the lab samples of toxicity grade 3 or 4 among the graded ones
(RBM.md §2.1). msctrial grades each stored blood-count value (form ``cbc``, canonical units
10^9/L and g/L) by NCI CTCAE v5.0 (27 Nov 2017), "Investigations" and "Blood and lymphatic
system disorders", whose grades for a fall are bands below fixed limits:

=========================  =========  =========  =========  ========  ==================
CTCAE v5.0 term            item       grade 2 <  grade 3 <  grade 4 <  source status
=========================  =========  =========  =========  ========  ==================
Neutrophil count decreased neutrophils 1.5       1.0        0.5       P
Platelet count decreased   platelets  75         50         25        P
Lymphocyte count decreased lymphocytes 0.8       0.5        0.2       M
White blood cell decreased wbc        3.0        2.0        1.0       M
Anemia (haemoglobin, g/L)  haemoglobin 100       80         (none)    M
=========================  =========  =========  =========  ========  ==================

Status as in CLINICAL_FACTS: **P** the grade-2/3/4 limits agree with the stored copies found
(techoverflow.net "What is grade I/II/III/IV neutropenia?", citing CTCAE v5.0; PMC3675695
Table A2: neutrophils 1,000/1,500 and platelets 50,000/75,000 per µL at grades 2-3), **M**
from memory of the CTCAE v5.0 table, to be checked against it before it is relied on. Grade 1
is "below the lower limit of normal" down to the grade-2 limit; a value at or above the
grade-2 limit is graded 0 here (grade 0 or 1: not of interest to LB). CTCAE's anaemia grade 4
is clinical ("life-threatening consequences"), so haemoglobin is graded at most 3.

Lymphopenia is part of severe COVID-19 (CLINICAL_FACTS §4.1: lymphocytes 0.35-0.8 × 10^9/L
at baseline), so many trial patients have grade 3 values; the KRI compares each site with the
others, so a common grade 3 does not flag a site, an unusual share does.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LabGrading:
    """Limits below which a value is grade 2, 3 and 4 (``None``: no such grade by value)."""

    term: str
    grade2_below: float
    grade3_below: float
    grade4_below: float | None


GRADING: dict[str, LabGrading] = {
    "neutrophils": LabGrading("Neutrophil count decreased", 1.5, 1.0, 0.5),
    "platelets": LabGrading("Platelet count decreased", 75.0, 50.0, 25.0),
    "lymphocytes": LabGrading("Lymphocyte count decreased", 0.8, 0.5, 0.2),
    "wbc": LabGrading("White blood cell decreased", 3.0, 2.0, 1.0),
    "haemoglobin": LabGrading("Anemia", 100.0, 80.0, None),
}
GRADED_FORM = "cbc"


def ctcae_grade(item: str, value: float) -> int | None:
    """The CTCAE v5.0 grade of one stored value (0 for grade 0-1), ``None`` if not graded."""
    g = GRADING.get(item)
    if g is None:
        return None
    if g.grade4_below is not None and value < g.grade4_below:
        return 4
    if value < g.grade3_below:
        return 3
    if value < g.grade2_below:
        return 2
    return 0
