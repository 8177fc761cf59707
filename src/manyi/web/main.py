"""Entry point for uvicorn: builds the app from the environment."""

from __future__ import annotations

import logging

from fastapi import FastAPI

from manyi.config import get_settings
from manyi.web.app import create_app


def create() -> FastAPI:
    settings = get_settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return create_app(settings)
