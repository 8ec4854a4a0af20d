"""Registry test fixtures: a local stand-in for the ClinicalTrials.gov API v2 (loopback only)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from tests.registry.records import dumps, msc_placebo_trial, page
from tests.web.conftest import app, client, login  # noqa: F401  (the app with the trial's users)


class Registry:
    """A tiny stand-in for /api/v2/studies: three pages chained by nextPageToken."""

    def __init__(self) -> None:
        self.pages = {
            None: page(
                [msc_placebo_trial("NCT09100001"), msc_placebo_trial("NCT09100002")], "t2", total=5
            ),
            "t2": page([msc_placebo_trial("NCT09100003"), msc_placebo_trial("NCT09100004")], "t3"),
            "t3": page([msc_placebo_trial("NCT09100005")]),
        }
        self.requests: list[dict[str, list[str]]] = []
        self.failures: dict[str | None, list[int | bytes]] = {}  # token → answers before the page

    def answer(self, query: dict[str, list[str]]) -> tuple[int, bytes, dict[str, str]]:
        self.requests.append(query)
        token = query.get("pageToken", [None])[0]
        planned = self.failures.get(token)
        if planned:
            first = planned.pop(0)
            if isinstance(first, bytes):
                return 200, first, {}
            return first, b'{"error": "busy"}', ({"Retry-After": "0"} if first == 429 else {})
        if token not in self.pages:
            return 400, b'{"error": "bad token"}', {}
        return 200, dumps(self.pages[token]), {}


@pytest.fixture
def registry() -> Iterator[tuple[Registry, str]]:
    state = Registry()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            url = urlparse(self.path)
            assert url.path == "/api/v2/studies"
            status, body, headers = state.answer(parse_qs(url.query))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/api/v2"
    server.shutdown()
    server.server_close()
