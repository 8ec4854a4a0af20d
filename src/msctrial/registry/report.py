"""The landscape report: one HTML file with inline SVG figures and the trial table."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import jinja2

from msctrial.protocol.guidance import Guidance
from msctrial.registry.landscape import figures, gather
from msctrial.registry.model import ExtractedDesign, Study
from msctrial.registry.table1 import table1_row


@functools.cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("msctrial.registry", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
    )


def render_report(
    items: list[tuple[Study, ExtractedDesign]],
    guidance: Guidance | None,
    weights_kg: tuple[float, float],
    generated: dt.datetime,
) -> str:
    land = gather(items, guidance, weights_kg)
    rows = [table1_row(s, d) for s, d in items if d.is_msc_trial]
    return (
        _env()
        .get_template("report.html")
        .render(land=land, figs=figures(land), rows=rows, generated=generated, weights=weights_kg)
    )


def write_report(
    out: Path,
    items: list[tuple[Study, ExtractedDesign]],
    guidance: Guidance | None,
    weights_kg: tuple[float, float],
    generated: dt.datetime,
) -> Path:
    """Write ``index.html`` (figures inline) into ``out``; return its path."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "index.html"
    path.write_text(render_report(items, guidance, weights_kg, generated), encoding="utf-8")
    return path
