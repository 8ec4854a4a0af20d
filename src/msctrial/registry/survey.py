"""Read records from files and extract their designs: what ``extract`` and ``table1`` print."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from msctrial.protocol.guidance import Guidance
from msctrial.registry.design import Extraction, extract_design
from msctrial.registry.model import Problem, Study
from msctrial.registry.reader import read_studies


@dataclass(frozen=True)
class Surveyed:
    file: str
    study: Study
    extraction: Extraction


def survey(
    paths: Iterable[str | Path],
    guidance: Guidance | None = None,
    weights_kg: tuple[float, float] = (50.0, 100.0),
    problems: list[Problem] | None = None,
) -> Iterator[Surveyed]:
    """Each readable study with its extracted design; unreadable ones go to ``problems``."""
    for item in read_studies(paths):
        if item.problem is not None:
            if problems is not None:
                problems.append(item.problem)
            continue
        if item.study is not None:
            yield Surveyed(item.file, item.study, extract_design(item.study, guidance, weights_kg))
