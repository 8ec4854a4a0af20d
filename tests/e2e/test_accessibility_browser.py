"""On a 768 px tablet the casebook's visit matrix scrolls inside itself, and the keyboard's first
stop is the skip link (issue 15, item 8), in real Chromium."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import log_in

pytestmark = pytest.mark.browser


def test_on_a_tablet_the_visit_matrix_scrolls_inside_itself(page, demo_server) -> None:
    page.set_viewport_size({"width": 768, "height": 1024})
    log_in(page, demo_server.url, "monitor")
    page.goto(f"{demo_server.url}/visits")
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], widths  # the page itself does not scroll sideways
    overflow = page.evaluate("() => getComputedStyle(document.querySelector('#matrix')).overflowX")
    assert overflow == "auto"
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.getAttribute('href')") == "#main"
