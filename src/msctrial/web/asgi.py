"""ASGI entry point for process managers: ``uvicorn --factory msctrial.web.asgi:make_app``.

Each worker process builds its app from the ``MSCTRIAL_*`` environment, as
``msctrial serve --workers N`` arranges (it migrates once before starting the workers).
"""

from __future__ import annotations

from fastapi import FastAPI

from msctrial.core.settings import load_settings
from msctrial.web.app import create_app


def make_app() -> FastAPI:
    return create_app(load_settings())
