"""Registry free text read as a clinician reads it: a table of messy forms, and random text
that must never crash the readers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from msctrial.registry.dosetext import (
    administration_count,
    clean,
    day_list,
    interval_days,
    quantities,
    sentences,
    states_optional_dose,
    time_points,
)

DOSES = [
    # (text, value, unit, max)
    ("1.0x106 cells/kg", 1.0e6, "cells/kg", None),  # a flattened superscript
    ("UC-MSCs 3.3 * 107 cell number / 50ml / bag", 3.3e7, "cells", None),
    ("3.3 * 107 cells / 50ml / bag, 3 bags each time", 9.9e7, "cells", None),  # per bag × bags
    ("two bags of 5x10^7 cells/bag, two bags per infusion", 1.0e8, "cells", None),
    ("stem cells were given at 106/Kg body weight / time", 1.0e6, "cells/kg", None),
    ("4.0*10E7 cells per time", 4.0e7, "cells", None),  # "10E7" is 10^7
    ("3.0x10e7 human dental pulp stem cells", 3.0e7, "cells", None),
    ("10E7 MSCs", 1.0e7, "cells", None),
    ("2.5e7 cells", 2.5e7, "cells", None),
    ("2x10^6 MSC/kg of body weight", 2.0e6, "cells/kg", None),
    ("1 x 10⁶ cells/kg", 1.0e6, "cells/kg", None),  # a superscript that survived
    ("200 million cells/dose", 2.0e8, "cells", None),
    ("1 million MSV cells/Kg", 1.0e6, "cells/kg", None),
    ("1.5 million adipose-tissue derived mesenchymal stem cells per kg", 1.5e6, "cells/kg", None),
    ("800 Billion Extracellular Vesicles", 8.0e11, "particles", None),
    ("1.2 Trillion Extracellular Vesicles", 1.2e12, "particles", None),
    ("2.0*10E8 nano vesicles/3 ml", 2.0e8, "particles", None),
    ("0.5-2x10^10 of nanoparticles (exosomes)", 0.5e10, "particles", 2.0e10),  # a range
    ("1-5 × 10^6 cells/kg", 1.0e6, "cells/kg", 5.0e6),
    ("UC-MSCs（0.5*10E6 UC-MSCs/kg body weight）", 0.5e6, "cells/kg", None),  # Chinese brackets
    ("1*10E6 cells per kilogram of weight", 1.0e6, "cells/kg", None),
    ("two doses of MSCs 100×10e6 (±10%)", 1.0e8, "cells", None),  # the unit before the number
    ("1.10^6 MSC/kg", 1.0e6, "cells/kg", None),  # a full stop for the multiplication dot
    ("day 3: 0.5. 10^6 MSC/kg", 0.5e6, "cells/kg", None),
    (
        "1x10^6 unit of umbilical-cord derived mesenchymal stem cells (UC-MSCs)/kgBW",
        1.0e6,
        "cells/kg",
        None,
    ),
    ("150,000,000 cells", 1.5e8, "cells", None),
]


@pytest.mark.parametrize("text, value, unit, high", DOSES)
def test_a_dose_written_this_way_is_read_as_a_clinician_reads_it(text, value, unit, high):
    found = quantities(text)
    assert found, text
    q = found[0]
    assert q.value == pytest.approx(value) and q.unit == unit
    assert (q.max is None) if high is None else q.max == pytest.approx(high)


@pytest.mark.parametrize(
    "text",
    [
        "2-5 x 10^11 particles/mL",  # a concentration, not a dose
        "Cells will be delivered at a rate of 5 million cells per minute",
        "up to a maximum of 200 million cells per infusion",
        "CYP-001 is supplied as 100 million Cymerus MSCs formulated in 20 mL",
        "100 mL of normal saline",
        "2 x 100 mL bags",
        "As of 24:00 on March 4, 2020, 80567 confirmed cases",
        "106 patients were enrolled",
        "aged 18-75 years, SpO2 ≤ 93%",
    ],
)
def test_numbers_that_are_not_a_dose_are_not_read_as_one(text):
    assert quantities(text) == []


@pytest.mark.parametrize(
    "text, days",
    [
        ("intravenously at Day 0, Day 3, Day 6.", [0, 3, 6]),
        ("on day 1, day 4 and day 7", [1, 4, 7]),
        ("at Day1, Day3, Day5, Day7", [1, 3, 5, 7]),
        ("at Day 1，Day 3，Day 5，Day7", [1, 3, 5, 7]),  # Chinese commas
        ("on the 1st, 3rd, 5th, and 7th days after enrollment", [1, 3, 5, 7]),
        ("Wharton-Jelly mesenchymal stromal cells on D1 and D3", [1, 3]),
        ("Cells will be delivered at D1 - D3 - D5.", [1, 3, 5]),
        ("on days 1, 3, 5 and 7 in all subjects", [1, 3, 5, 7]),
        ("day 1, 3 and 7 of the trial", [1, 3, 7]),
        ("Infusions will occur at weeks 0, 2, 6, 10, and 14.", [0, 14, 42, 70, 98]),
        ("3 million cells/kg IV ------ 3rd day", [3]),
        ("the second infusion at 4 days following the first (± 1 day)", None),
        ("given within 3 days of first admission", None),
    ],
)
def test_dosing_days_are_read_from_the_ways_registries_list_them(text, days):
    found = day_list(text)
    assert (found[0] if found else None) == days


@pytest.mark.parametrize(
    "text, n, up_to",
    [
        ("3 does of UC-MSCs", 3, False),  # the registry's own typo
        ("4 times of UC-MSCs", 4, False),
        ("Five IV infusions of autologous cells", 5, False),
        ("two doses of MSCs", 2, False),
        ("once every 4 days for a total of 4 times", 4, False),
        ("administered twice during the first week", 2, False),
        ("Patients will receive up to 2 infusions", 2, True),
        ("1 infusion of allogeneic cells", 1, False),
        ("3 daily consecutive doses of hCT-MSC", 3, False),
        ("Twice a day during 10 days inhalation", 20, False),
        ("The administration of cells will be done only once.", 1, False),
        ("UC-MSCs will be infused on day 1, 1 time each day", None, False),
    ],
)
def test_the_number_of_administrations_is_read_from_words_and_numbers(text, n, up_to):
    found = administration_count(text)
    assert (found.n if found else None) == n
    if found:
        assert found.up_to is up_to


@pytest.mark.parametrize(
    "text, days",
    [
        ("once every 4 days for a total of 4 times", 4),
        ("given again at an interval of 1 week", 7),
        ("The three doses will be 3 days apart", 3),
        ("MSC-exosomes delivered intravenously every other day", 2),
        ("with the second infusion at 4 days following the first injection", 4),
        ("infused weekly", 7),
        ("three doses of cells", None),
    ],
)
def test_the_interval_between_administrations_is_read(text, days):
    found = interval_days(text)
    assert (found[0] if found else None) == days


def test_an_optional_extra_dose_is_recognised():
    assert states_optional_dose("depending on the condition of the need to be given again")
    assert states_optional_dose("on days 1 and day 7 (if needed)")
    assert not states_optional_dose("on day 1 and day 7")


@pytest.mark.parametrize(
    "text, days",
    [("Day 28", [28]), ("12 months", [360]), ("From Baseline (0W) to 12 week after treatment", [84]),
     ("At baseline, Day 1, Week 1, Week 2", [1, 7, 14]), ("1-28 days", [28]), ("3 weeks", [21]),
     ("within 24 hours", [])],
)  # fmt: skip
def test_outcome_time_frames_become_study_days(text, days):
    assert time_points(text) == days


def test_cleaning_keeps_every_position_so_evidence_is_quoted_verbatim():
    text = "UC-MSCs（4.0×10E7 cells）：Day 0、Day 3；"
    assert len(clean(text)) == len(text)
    q = quantities(text)[0]
    assert text[q.start : q.end] == "4.0×10E7"


def test_sentences_split_at_full_stops_lines_and_semicolons_but_not_decimals():
    text = "Dose: 1.0x106 cells/kg. Days 1, 3 and 7; IV.\nFollow up"
    parts = [text[s.start : s.end] for s in sentences(text)]
    assert parts == ["Dose: 1.0x106 cells/kg.", "Days 1, 3 and 7", "IV.", "Follow up"]


# --- property: random text never crashes ---------------------------------------------------

registry_alphabet = st.sampled_from(
    list("0123456789 .,;:x×*^-–/()（），、：Ee⁶⁷")
    + ["10", "10E", "cells", "/kg", "MSC", "million", "day", "Day ", "D", "times", "doses", "every",
       "bags each time", "weeks", "± 1 day", "up to", "maximum of", "\n", "twice", "once", "particles"]
)  # fmt: skip
messy = st.lists(registry_alphabet, max_size=60).map("".join)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.one_of(messy, st.text(max_size=300)))
def test_random_text_never_crashes_the_readers(text):
    for q in quantities(text):
        assert q.value > 0 and q.unit in {"cells", "cells/kg", "particles"}
        assert 0 <= q.start < q.end <= len(text)
    found = day_list(text)
    if found:
        assert found[0] == sorted(set(found[0]))
    count = administration_count(text)
    assert count is None or count.n >= 1
    interval_days(text)
    states_optional_dose(text)
    assert all(d >= 0 for d in time_points(text))
    for s in sentences(text):
        assert 0 <= s.start < s.end <= len(text)
