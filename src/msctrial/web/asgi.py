"""ASGI entry point for process managers: ``uvicorn --factory msctrial.web.asgi:make_app``.

Each worker process builds its app from the ``MSCTRIAL_*`` environment, as
``msctrial serve --workers N`` arranges (it migrates once before starting the workers).
"""

from __future__ import annotations

import socket

import uvicorn
from fastapi import FastAPI

from msctrial.core.settings import load_settings
from msctrial.web.app import create_app


def make_app() -> FastAPI:
    return create_app(load_settings())


class TcpConfig(uvicorn.Config):
    """Uvicorn's config with a shared listening socket that declares itself TCP.

    For several workers uvicorn binds the shared socket with protocol 0; asyncio then never
    sets TCP_NODELAY on accepted connections, and every keep-alive response waits ~40 ms for
    the client's delayed ACK (measured here: 44 ms against 0.6 ms per request for a trivial
    app). Re-wrapping the same descriptor as IPPROTO_TCP restores no-delay.
    """

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            return socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
        return sock
