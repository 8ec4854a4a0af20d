"""The extractor against the hand-labelled answer key (``answer_key.py``) for the real records
of ../shared/registry/: field-level accuracy, printed, at least 97% overall and no field type
below 90%. Every label's quote must be in its record, so the key cannot drift from the data.

    pytest tests/registry/test_field_accuracy.py -s -m shared     # prints the table
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from msctrial.registry.design import extract_design
from msctrial.registry.model import ExtractedDesign
from msctrial.registry.reader import read_studies
from tests.registry.answer_key import CHICTR, CTGOV

pytestmark = pytest.mark.shared


def value_of(d: ExtractedDesign, field: str) -> Any:
    if field == "dose":
        levels = sorted((round(x.value, 3), x.unit) for x in d.dose_levels)
        return levels or None
    return getattr(d, field)


def expected(field: str, label: Any) -> Any:
    if field == "dose" and label is not None:
        return sorted((round(v, 3), u) for v, u in label)
    return label


def score(
    designs: dict[str, ExtractedDesign], key: dict[str, dict[str, tuple[Any, str | None]]]
) -> tuple[Counter[str], Counter[str], list[str]]:
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    wrong: list[str] = []
    for trial, labels in key.items():
        d = designs.get(trial)
        for field, (label, _) in labels.items():
            total[field] += 1
            got = value_of(d, field) if d is not None else "(not read)"
            if got == expected(field, label):
                right[field] += 1
            else:
                wrong.append(f"{trial} {field}: expected {label!r}, got {got!r}")
    return right, total, wrong


def table(right: Counter[str], total: Counter[str]) -> str:
    lines = [f"{'field':<20} {'right':>5} / {'all':<5} accuracy"]
    for field in sorted(total):
        lines.append(
            f"{field:<20} {right[field]:>5} / {total[field]:<5} {right[field] / total[field]:.1%}"
        )
    all_right, all_total = sum(right.values()), sum(total.values())
    lines.append(f"{'overall':<20} {all_right:>5} / {all_total:<5} {all_right / all_total:.1%}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def ctgov(shared: Path) -> tuple[dict[str, ExtractedDesign], dict[str, str]]:
    folder = shared / "registry" / "ctgov"
    paths = [folder / f"{t}.json" for t in CTGOV]
    designs = {i.study.trial_id: extract_design(i.study).design for i in read_studies(paths)}
    texts = {
        t: json.dumps(json.loads((folder / f"{t}.json").read_text()), ensure_ascii=False)
        for t in CTGOV
    }
    return designs, texts


@pytest.fixture(scope="module")
def chictr(shared: Path) -> tuple[dict[str, ExtractedDesign], dict[str, str]]:
    path = shared / "registry" / "ictrp" / "COVID19-web_7Jul2020.xlsx"
    studies = [i.study for i in read_studies([path]) if i.study and i.study.trial_id in CHICTR]
    designs = {s.trial_id: extract_design(s).design for s in studies}
    texts = {s.trial_id: s.model_dump_json() for s in studies}
    return designs, texts


def test_every_label_quotes_its_own_record(ctgov, chictr):
    missing = []
    for key, (_, texts) in ((CTGOV, ctgov), (CHICTR, chictr)):
        for trial, labels in key.items():
            text = " ".join(texts[trial].lower().replace("\\n", " ").split())
            for field, (label, quote) in labels.items():
                if label is None or label == []:
                    assert quote is None, (trial, field)
                elif not quote or " ".join(quote.lower().split()) not in text:
                    missing.append((trial, field, quote))
    assert missing == []


def test_the_extractor_reads_what_the_records_state_and_no_more(ctgov, chictr, capsys):
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    wrong: list[str] = []
    for key, (designs, _) in ((CTGOV, ctgov), (CHICTR, chictr)):
        r, t, w = score(designs, key)
        right += r
        total += t
        wrong += w
    with capsys.disabled():
        print("\nfield accuracy against tests/registry/answer_key.py:\n" + table(right, total))
        for line in wrong:
            print("  wrong:", line)
    overall = sum(right.values()) / sum(total.values())
    assert overall >= 0.97, wrong
    worst = min(total, key=lambda f: right[f] / total[f])
    assert right[worst] / total[worst] >= 0.90, (worst, wrong)
