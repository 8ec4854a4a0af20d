"""WCAG 2.1 AA where the issue measured it (issue 15, item 8): a field's border and the focus
ring reach 3:1 against the page (1.4.11, non-text contrast; it was 1.35:1), every page starts
with a skip link to its content (2.4.1), and on a 768 px tablet a wide table scrolls inside
itself rather than widening the page (tests/e2e/test_accessibility_browser.py)."""

from __future__ import annotations

import re
from importlib import resources

import pytest

CSS = (resources.files("msctrial.web") / "static" / "msctrial.css").read_text(encoding="utf-8")


def relative_luminance(hex_colour: str) -> float:
    """WCAG 2.1's relative luminance of an sRGB colour such as ``#687482``."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _variable(name: str) -> str:
    match = re.search(rf"--{name}:\s*(#[0-9a-fA-F]{{6}})", CSS)
    assert match, f"--{name} is not defined"
    return match.group(1)


def test_the_contrast_formula_gives_the_published_extremes() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#d8dee6", "#ffffff") == pytest.approx(1.35, abs=0.02)  # the old border


def test_a_fields_border_and_the_focus_ring_reach_three_to_one_on_the_page() -> None:
    assert re.search(r"input, select, textarea \{[^}]*border: 1px solid var\(--field\)", CSS)
    assert re.search(r":focus-visible \{[^}]*outline: 3px solid var\(--accent\)", CSS)
    for colour in (_variable("field"), _variable("accent")):
        for background in ("#ffffff", _variable("bg")):
            assert contrast(colour, background) >= 3.0, (colour, background)


def test_every_page_starts_with_a_skip_link_to_its_content(login) -> None:
    for username, path in (("coordinator", "/"), ("monitor", "/visits"), ("qc", "/product/lots")):
        page = login(username).get(path).text
        body = page[page.index("<body>") :]
        first_link = re.search(r"<a\b[^>]*>", body)
        assert first_link and 'href="#main"' in first_link.group(0), path
        assert '<main id="main"' in page
